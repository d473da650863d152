// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ELF access through libelf: see elf_file.h. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/array_grow.h"
#include "resolve/elf_file.h"

struct load_seg {
	uint64_t vaddr, filesz, memsz, offset;
	bool exec;
};

struct rel_entry {
	uint64_t offset, addend;
};

struct elf_file {
	int fd;
	Elf *elf;
	GElf_Ehdr ehdr;
	struct load_seg *segs;
	size_t nsegs;
	char build_id[2 * 64 + 1];
	bool has_symtab;
	struct rel_entry *rels; /* R_X86_64_RELATIVE, sorted by offset; loaded lazily */
	size_t nrels;
	bool rels_loaded;
};

static void read_build_id(struct elf_file *ef)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const uint8_t *desc = (const uint8_t *)data->d_buf + desc_off;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((const char *)data->d_buf + name_off, "GNU", 4) ||
			    nh.n_descsz > 64)
				continue;
			for (size_t i = 0; i < nh.n_descsz; i++) {
				static const char hex[] = "0123456789abcdef";

				ef->build_id[2 * i] = hex[desc[i] >> 4];
				ef->build_id[2 * i + 1] = hex[desc[i] & 15];
			}
			ef->build_id[2 * nh.n_descsz] = '\0';
			return;
		}
	}
}

struct elf_file *elf_file__open(const char *path)
{
	struct elf_file *ef;
	size_t nphdr;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = EINVAL;
		return NULL;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		return NULL;
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0) {
		err = errno;
		free(ef);
		errno = err;
		return NULL;
	}
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || !gelf_getehdr(ef->elf, &ef->ehdr) ||
	    elf_getphdrnum(ef->elf, &nphdr)) {
		err = ENOEXEC;
		goto fail;
	}
	ef->segs = calloc(nphdr ? nphdr : 1, sizeof(*ef->segs));
	if (!ef->segs) {
		err = ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(ef->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		ef->segs[ef->nsegs++] = (struct load_seg){ph.p_vaddr, ph.p_filesz, ph.p_memsz,
							  ph.p_offset, ph.p_flags & PF_X};
	}
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(ef->elf, scn));) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			ef->has_symtab = true;
	}
	read_build_id(ef);
	return ef;
fail:
	elf_file__close(ef);
	errno = err;
	return NULL;
}

void elf_file__close(struct elf_file *ef)
{
	if (!ef)
		return;
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef->segs);
	free(ef->rels);
	free(ef);
}

const char *elf_file__build_id(const struct elf_file *ef)
{
	return ef->build_id;
}

bool elf_file__is_pie(const struct elf_file *ef)
{
	return ef->ehdr.e_type == ET_DYN;
}

bool elf_file__has_symtab(const struct elf_file *ef)
{
	return ef->has_symtab;
}

int elf_file__for_each_symbol(struct elf_file *ef, int (*cb)(const struct elf_sym *sym, void *ctx),
			      void *ctx)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(ef->elf, scn));) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			struct elf_sym s;
			GElf_Sym sym;
			int type, ret;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    !sym.st_value)
				continue;
			type = GELF_ST_TYPE(sym.st_info);
			if (type != STT_FUNC && type != STT_OBJECT)
				continue;
			s.name = elf_strptr(ef->elf, sh.sh_link, sym.st_name);
			if (!s.name || !*s.name)
				continue;
			s.addr = sym.st_value;
			s.size = sym.st_size;
			s.is_func = type == STT_FUNC;
			s.is_local = GELF_ST_BIND(sym.st_info) == STB_LOCAL;
			s.from_dynsym = sh.sh_type == SHT_DYNSYM;
			ret = cb(&s, ctx);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int elf_file__lookup(struct elf_file *ef, const char *name, struct elf_sym *out)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(ef->elf, scn));) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    !(n = elf_strptr(ef->elf, sh.sh_link, sym.st_name)) || strcmp(n, name))
				continue;
			out->name = n;
			out->addr = sym.st_value;
			out->size = sym.st_size;
			out->is_func = GELF_ST_TYPE(sym.st_info) == STT_FUNC;
			out->is_local = GELF_ST_BIND(sym.st_info) == STB_LOCAL;
			out->from_dynsym = sh.sh_type == SHT_DYNSYM;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__vaddr_to_offset(const struct elf_file *ef, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < ef->nsegs; i++) {
		const struct load_seg *s = &ef->segs[i];

		if (vaddr >= s->vaddr && vaddr < s->vaddr + s->filesz) {
			*off = vaddr - s->vaddr + s->offset;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__read(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len)
{
	uint64_t off, end_off;
	ssize_t n;

	if (elf_file__vaddr_to_offset(ef, vaddr, &off))
		return -ENOENT;
	/* the whole range must be file-backed within the same segment */
	if (len &&
	    (elf_file__vaddr_to_offset(ef, vaddr + len - 1, &end_off) || end_off != off + len - 1))
		return -ENOENT;
	n = pread(ef->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int elf_file__read_loaded(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len)
{
	for (size_t i = 0; i < ef->nsegs; i++) {
		const struct load_seg *s = &ef->segs[i];

		if (vaddr < s->vaddr || vaddr + len > s->vaddr + s->memsz)
			continue;
		if (vaddr >= s->vaddr + s->filesz) { /* the zero-filled tail: .bss */
			memset(buf, 0, len);
			return 0;
		}
		if (vaddr + len <= s->vaddr + s->filesz)
			return elf_file__read(ef, vaddr, buf, len);
		return -EINVAL; /* straddles the end of the file's bytes */
	}
	return -ENOENT;
}

static int cmp_rel(const void *a, const void *b)
{
	const struct rel_entry *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int load_relative_relocs(struct elf_file *ef)
{
	size_t cap = 0;

	ef->rels_loaded = true;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(ef->elf, scn));) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;

			if (!gelf_getrela(data, i, &r) ||
			    GELF_R_TYPE(r.r_info) != 8 /* R_X86_64_RELATIVE */)
				continue;
			if (array_grow((void **)&ef->rels, &cap, ef->nrels + 1, sizeof(*ef->rels)))
				return -ENOMEM;
			ef->rels[ef->nrels++] =
				(struct rel_entry){r.r_offset, (uint64_t)r.r_addend};
		}
	}
	qsort(ef->rels, ef->nrels, sizeof(*ef->rels), cmp_rel);
	return 0;
}

int elf_file__read_ptr(const struct elf_file *ef_const, uint64_t vaddr, uint64_t *value)
{
	struct elf_file *ef = (struct elf_file *)ef_const; /* relocation cache only */
	struct rel_entry key = {.offset = vaddr}, *hit;
	int err;

	if ((err = elf_file__read(ef, vaddr, value, sizeof(*value))))
		return err;
	if (!elf_file__is_pie(ef))
		return 0;
	if (!ef->rels_loaded && (err = load_relative_relocs(ef)))
		return err;
	hit = bsearch(&key, ef->rels, ef->nrels, sizeof(key), cmp_rel);
	if (hit)
		*value = hit->addend;
	return 0;
}

int elf_file__read_str(const struct elf_file *ef, uint64_t vaddr, char *buf, size_t cap)
{
	size_t i;

	if (!cap)
		return -EINVAL;
	for (i = 0; i + 1 < cap; i++) {
		if (elf_file__read(ef, vaddr + i, &buf[i], 1)) {
			buf[i] = '\0';
			return -ENOENT;
		}
		if (!buf[i])
			return 0;
	}
	buf[i] = '\0';
	return -ENAMETOOLONG;
}

int elf_file__for_each_string(struct elf_file *ef, const char *section, size_t min_len,
			      int (*cb)(const char *s, size_t len, void *ctx), void *ctx)
{
	size_t shstrndx;

	if (elf_getshdrstrndx(ef->elf, &shstrndx))
		return -EINVAL;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(ef->elf, scn));) {
		GElf_Shdr sh;
		Elf_Data *data;
		const char *name, *p, *end;

		if (!gelf_getshdr(scn, &sh) ||
		    !(name = elf_strptr(ef->elf, shstrndx, sh.sh_name)) || strcmp(name, section) ||
		    sh.sh_type == SHT_NOBITS)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			return -ENOENT;
		p = data->d_buf;
		end = p + data->d_size;
		while (p < end) {
			const char *q = p;
			int ret;

			while (q < end && *q >= 0x20 && *q < 0x7f)
				q++;
			if (q < end && !*q && (size_t)(q - p) >= min_len &&
			    (ret = cb(p, q - p, ctx)))
				return ret;
			p = q + 1;
		}
		return 0;
	}
	return -ENOENT;
}

int elf_file__for_each_plt_slot(struct elf_file *ef,
				int (*cb)(uint64_t got, const char *name, void *ctx), void *ctx)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(ef->elf, scn));) {
		Elf_Scn *symscn;
		GElf_Shdr sh, symsh;
		Elf_Data *data, *symdata;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		symscn = elf_getscn(ef->elf, sh.sh_link);
		if (!symscn || !gelf_getshdr(symscn, &symsh) || symsh.sh_type != SHT_DYNSYM)
			continue;
		data = elf_getdata(scn, NULL);
		symdata = elf_getdata(symscn, NULL);
		if (!data || !symdata)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			const char *name;
			int ret;

			if (!gelf_getrela(data, i, &r) ||
			    GELF_R_TYPE(r.r_info) != 7 /* JUMP_SLOT */ ||
			    !gelf_getsym(symdata, GELF_R_SYM(r.r_info), &sym))
				continue;
			name = elf_strptr(ef->elf, symsh.sh_link, sym.st_name);
			if (name && (ret = cb(r.r_offset, name, ctx)))
				return ret;
		}
	}
	return 0;
}

int elf_file__section(struct elf_file *ef, const char *name, uint64_t *vaddr, const uint8_t **data,
		      size_t *size)
{
	size_t shstrndx;

	if (elf_getshdrstrndx(ef->elf, &shstrndx))
		return -EINVAL;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(ef->elf, scn));) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *n;

		if (!gelf_getshdr(scn, &sh) || !(n = elf_strptr(ef->elf, shstrndx, sh.sh_name)) ||
		    strcmp(n, name) || sh.sh_type == SHT_NOBITS)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return -ENOENT;
		*vaddr = sh.sh_addr;
		*data = d->d_buf;
		*size = d->d_size;
		return 0;
	}
	return -ENOENT;
}

int elf_file__for_each_exec_segment(struct elf_file *ef,
				    int (*cb)(uint64_t vaddr, uint64_t size, void *ctx), void *ctx)
{
	for (size_t i = 0; i < ef->nsegs; i++) {
		int ret;

		if (ef->segs[i].exec && (ret = cb(ef->segs[i].vaddr, ef->segs[i].filesz, ctx)))
			return ret;
	}
	return 0;
}

bool elf_file__needs(struct elf_file *ef, const char *prefix)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(ef->elf, scn));) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *name;

			if (!gelf_getdyn(data, i, &dyn) || dyn.d_tag != DT_NEEDED)
				continue;
			name = elf_strptr(ef->elf, sh.sh_link, dyn.d_un.d_val);
			if (name && !strncmp(name, prefix, strlen(prefix)))
				return true;
		}
	}
	return false;
}
