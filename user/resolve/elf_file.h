/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Read-only view of an ELF file: symbols, build-id, bytes at virtual addresses. */
#ifndef __ASYNCSCOPE_ELF_FILE_H
#define __ASYNCSCOPE_ELF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct elf_file;

struct elf_sym {
	const char *name;
	uint64_t addr; /* st_value: virtual address */
	uint64_t size;
	bool is_func;
	bool is_local; /* STB_LOCAL: .symtab only, gone once stripped */
	bool from_dynsym;
};

/* Opens path; NULL with errno set on failure (ENOEXEC: not a usable ELF). */
struct elf_file *elf_file__open(const char *path);
void elf_file__close(struct elf_file *ef);

/* Hex build-id, "" when the file has none. */
const char *elf_file__build_id(const struct elf_file *ef);
bool elf_file__is_pie(const struct elf_file *ef); /* ET_DYN */
bool elf_file__has_symtab(const struct elf_file *ef);

/*
 * Calls cb for every defined FUNC or OBJECT symbol of .symtab and .dynsym.
 * Stops and returns cb's value when it is non-zero; 0 otherwise.
 */
int elf_file__for_each_symbol(struct elf_file *ef, int (*cb)(const struct elf_sym *sym, void *ctx),
			      void *ctx);

/*
 * The symbol named name in .symtab or .dynsym, of any type: also the
 * NOTYPE labels assembler files define (V8's embedded blob). 0 or -ENOENT.
 */
int elf_file__lookup(struct elf_file *ef, const char *name, struct elf_sym *out);

/*
 * Calls cb for every R_X86_64_JUMP_SLOT relocation (a PLT entry's GOT slot)
 * with the slot's address and the symbol it binds; stops on non-zero.
 */
int elf_file__for_each_plt_slot(struct elf_file *ef,
				int (*cb)(uint64_t got, const char *name, void *ctx), void *ctx);

/* A section's address and contents (valid while ef is open); -ENOENT if absent. */
int elf_file__section(struct elf_file *ef, const char *name, uint64_t *vaddr, const uint8_t **data,
		      size_t *size);

/* Calls cb for each executable PT_LOAD segment's file-backed range; stops on non-zero. */
int elf_file__for_each_exec_segment(struct elf_file *ef,
				    int (*cb)(uint64_t vaddr, uint64_t size, void *ctx), void *ctx);

/* True if a DT_NEEDED entry of the file starts with prefix ("libuv.so"). */
bool elf_file__needs(struct elf_file *ef, const char *prefix);

/* File offset of a virtual address, through PT_LOAD; -ENOENT if unmapped. */
int elf_file__vaddr_to_offset(const struct elf_file *ef, uint64_t vaddr, uint64_t *off);

/* Copies len file-backed bytes at vaddr; 0 or -errno. */
int elf_file__read(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len);

/*
 * Copies len bytes at vaddr as the loader maps them: past a segment's file
 * bytes (.bss) they read as zero. 0, -ENOENT if unmapped, -EINVAL if the
 * range straddles file bytes and the zero tail.
 */
int elf_file__read_loaded(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len);

/*
 * Value stored at a pointer-sized slot, with a dynamic R_X86_64_RELATIVE
 * relocation applied when the file is position independent.
 */
int elf_file__read_ptr(const struct elf_file *ef, uint64_t vaddr, uint64_t *value);

/*
 * Calls cb for every NUL-terminated string of at least min_len printable
 * characters in the named section; stops when cb returns non-zero and
 * returns that value. -ENOENT if there is no such section.
 */
int elf_file__for_each_string(struct elf_file *ef, const char *section, size_t min_len,
			      int (*cb)(const char *s, size_t len, void *ctx), void *ctx);

/* NUL-terminated string at vaddr, at most cap-1 bytes; 0 or -errno. */
int elf_file__read_str(const struct elf_file *ef, uint64_t vaddr, char *buf, size_t cap);

#endif /* __ASYNCSCOPE_ELF_FILE_H */
