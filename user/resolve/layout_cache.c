// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "resolve/elf_file.h"
#include "resolve/layout_cache.h"
#include "lib/log.h"

/* Bump when struct node_layout's meaning or the file format changes. */
#define CACHE_FORMAT 6
#define SITE_BYTES   16

const char *cache_state_name(enum cache_state s)
{
	return s == CACHE_HIT ? "hit" : s == CACHE_MISS ? "miss" : "off";
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

const char *layout_cache_dir(void)
{
	static char dir[PATH_MAX];
	const char *v = getenv("ASYNCSCOPE_CACHE");

	if (v && !strcmp(v, "off"))
		return NULL;
	if ((v = getenv("ASYNCSCOPE_CACHE_DIR")) && *v)
		snprintf(dir, sizeof(dir), "%s", v);
	else if (geteuid() == 0)
		snprintf(dir, sizeof(dir), "/var/cache/asyncscope");
	else if ((v = getenv("XDG_CACHE_HOME")) && *v)
		snprintf(dir, sizeof(dir), "%s/asyncscope/layouts", v);
	else if ((v = getenv("HOME")) && *v)
		snprintf(dir, sizeof(dir), "%s/.cache/asyncscope/layouts", v);
	else
		return NULL;
	return mkdir_p(dir) ? NULL : dir;
}

static bool valid_build_id(const char *id)
{
	size_t n = strlen(id);

	return n >= 16 && n <= 128 && strspn(id, "0123456789abcdef") == n;
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static int unhex(const char *s, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		b[i] = v;
	}
	return s[2 * n] == '\0' || s[2 * n] == '\n' ? 0 : -EINVAL;
}

static int store(const char *dir, const struct node_layout *l, struct elf_file *ef)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], buf[2 * sizeof(l->off) + 1];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.layout", dir, l->build_id);
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	fprintf(f, "asyncscope-layout %d %zu\n", CACHE_FORMAT, sizeof(*l));
	hex(buf, (const uint8_t *)&l->off, sizeof(l->off));
	fprintf(f, "offsets %s\n", buf);
	fprintf(f, "env_id_fields %u\nscope_wrap_inlines %d\n", l->env_id_fields,
		l->scope_wrap_inlines);
	for (int r = 0; r < SITE_COUNT; r++) {
		const struct node_site *s = &l->sites[r];
		uint8_t code[SITE_BYTES];
		char chex[2 * SITE_BYTES + 1];

		if (!s->used)
			continue;
		if (elf_file__read(ef, s->addr, code, sizeof(code)))
			goto fail;
		hex(chex, code, sizeof(code));
		fprintf(f, "site %d %llx %llx %s %s\n", r, (unsigned long long)s->addr,
			(unsigned long long)s->size, chex, s->symbol);
	}
	for (int i = 0; i < l->nproviders; i++)
		fprintf(f, "provider %s\n", l->providers[i]);
	if (fclose(f))
		goto fail_closed;
	return rename(tmp, path) ? -errno : 0;
fail:
	fclose(f);
fail_closed:
	unlink(tmp);
	return -EIO;
}

/* Fills out from the cache file and checks every site's code still matches. */
static int load(const char *dir, const char *build_id, struct elf_file *ef, struct node_layout *l)
{
	char path[PATH_MAX], line[1024];
	int format = 0, sites = 0, fd;
	size_t size = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.layout", dir, build_id);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "asyncscope-layout %d %zu", &format, &size) != 2 ||
	    format != CACHE_FORMAT || size != sizeof(*l))
		goto bad;
	while (fgets(line, sizeof(line), f)) {
		char key[32], a[512], b[512];
		unsigned long long addr, fsize;
		int role, v;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%31s", key) != 1)
			goto bad;
		if (!strcmp(key, "offsets")) {
			if (unhex(line + 8, (uint8_t *)&l->off, sizeof(l->off)))
				goto bad;
		} else if (!strcmp(key, "env_id_fields")) {
			if (sscanf(line, "env_id_fields %u", &l->env_id_fields) != 1)
				goto bad;
		} else if (!strcmp(key, "scope_wrap_inlines")) {
			if (sscanf(line, "scope_wrap_inlines %d", &v) != 1)
				goto bad;
			l->scope_wrap_inlines = v;
		} else if (!strcmp(key, "site")) {
			uint8_t want[SITE_BYTES], have[SITE_BYTES];
			struct node_site *s;

			if (sscanf(line, "site %d %llx %llx %511s %511s", &role, &addr, &fsize, a,
				   b) != 5 ||
			    role < 0 || role >= SITE_COUNT || unhex(a, want, sizeof(want)))
				goto bad;
			s = &l->sites[role];
			s->used = true;
			s->addr = addr;
			s->size = fsize;
			if (strlen(b) >= sizeof(s->symbol))
				goto bad;
			memcpy(s->symbol, b, strlen(b) + 1);
			/* the binary must still have this code here */
			if (elf_file__read(ef, addr, have, sizeof(have)) ||
			    memcmp(have, want, sizeof(have)) ||
			    elf_file__vaddr_to_offset(ef, addr, &s->file_off))
				goto bad;
			node_site__describe_code(s, have, sizeof(have));
			sites++;
		} else if (!strcmp(key, "provider")) {
			if (l->nproviders >= NODE_MAX_PROVIDERS ||
			    strlen(line + 9) >= NODE_PROVIDER_NAME_MAX)
				goto bad;
			memcpy(l->providers[l->nproviders++], line + 9, strlen(line + 9) + 1);
		} else {
			goto bad;
		}
	}
	fclose(f);
	return sites && l->nproviders ? 0 : -EINVAL;
bad:
	fclose(f);
	return -EINVAL;
}

int node_layout__resolve_cached(const char *path, struct node_layout *out, enum cache_state *state)
{
	const char *dir = layout_cache_dir();
	struct elf_file *ef;
	int err;

	*state = CACHE_OFF;
	if (!dir)
		return node_layout__resolve(path, out);
	ef = elf_file__open(path);
	if (ef && valid_build_id(elf_file__build_id(ef))) {
		const char *id = elf_file__build_id(ef);

		memset(out, 0, sizeof(*out));
		snprintf(out->path, sizeof(out->path), "%s", path);
		snprintf(out->build_id, sizeof(out->build_id), "%s", id);
		if (!load(dir, id, ef, out)) {
			*state = CACHE_HIT;
			elf_file__close(ef);
			return 0;
		}
		*state = CACHE_MISS;
	}
	err = node_layout__resolve(path, out);
	if (!err && ef && *state == CACHE_MISS && (err = store(dir, out, ef))) {
		dlog("could not cache the layout in %s: %s", dir, strerror(-err));
		err = 0;
	}
	elf_file__close(ef);
	return err;
}
