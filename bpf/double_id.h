/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Node keeps async ids as IEEE-754 doubles. BPF has no floating point, so the
 * bit pattern is decoded with integer operations. Shared by BPF and user space
 * so the unit tests exercise exactly the code the probes run.
 */
#ifndef __ASYNCSCOPE_DOUBLE_ID_H
#define __ASYNCSCOPE_DOUBLE_ID_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define DOUBLE_MANT_BITS 52
#define DOUBLE_EXP_BIAS	 1023

/*
 * Returns the integer part of a non-negative double given by its bits,
 * ASYNC_ID_INVALID for negative values (Node's -1 sentinel) and for values
 * of 2^63 and beyond, which no async id reaches.
 */
static __always_inline __u64 id_from_double_bits(__u64 bits)
{
	__u64 mant = (bits & ((1ULL << DOUBLE_MANT_BITS) - 1)) | (1ULL << DOUBLE_MANT_BITS);
	int e = (int)((bits >> DOUBLE_MANT_BITS) & 0x7ff);

	if (bits >> 63)
		return bits == (1ULL << 63) ? 0 : ASYNC_ID_INVALID; /* -0.0 is 0 */
	if (e < DOUBLE_EXP_BIAS)
		return 0;
	e -= DOUBLE_EXP_BIAS + DOUBLE_MANT_BITS;
	if (e <= 0)
		return mant >> (-e);
	if (e >= 11)
		return ASYNC_ID_INVALID;
	return mant << e;
}

/* True if the double is a whole number (what every async id must be). */
static __always_inline int double_bits_is_integral(__u64 bits)
{
	int e = (int)((bits >> DOUBLE_MANT_BITS) & 0x7ff);
	__u64 frac = bits & ((1ULL << DOUBLE_MANT_BITS) - 1);

	if ((bits << 1) == 0)
		return 1; /* +-0 */
	if (e < DOUBLE_EXP_BIAS)
		return 0;
	e -= DOUBLE_EXP_BIAS;
	if (e >= DOUBLE_MANT_BITS)
		return 1;
	return (frac & ((1ULL << (DOUBLE_MANT_BITS - e)) - 1)) == 0;
}

#endif /* __ASYNCSCOPE_DOUBLE_ID_H */
