// SPDX-License-Identifier: MIT
/*
 * Page-frame maps: linear probing kept at most half full, deletion by
 * shifting later entries of the same run back, so no tombstones build up
 * in a map whose members come and go all the time.
 */
#include "page_map.h"

#include <errno.h>
#include <stdlib.h>

static size_t home(const struct page_map *m, u64 key)
{
	/* Fibonacci hashing: frames are dense, their low bits say little. */
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (m->cap - 1);
}

/* The slot holding @key, or the empty slot ending its run. */
static size_t find(const struct page_map *m, u64 key)
{
	size_t i = home(m, key);

	while (m->key[i] && m->key[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int grow(struct page_map *m)
{
	struct page_map n = { .cap = m->cap ? 2 * m->cap : 256, .used = m->used };

	n.key = calloc(n.cap, sizeof(*n.key));
	n.mask = calloc(n.cap, sizeof(*n.mask));
	if (!n.key || !n.mask) {
		free(n.key);
		free(n.mask);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->key[i]) {
			size_t j = find(&n, m->key[i]);

			n.key[j] = m->key[i];
			n.mask[j] = m->mask[i];
		}
	}
	free(m->key);
	free(m->mask);
	*m = n;
	return 0;
}

int page_map_or(struct page_map *m, u64 frame, u64 bits, u64 *old)
{
	u64 key = frame + 1;
	size_t i;

	if (2 * (m->used + 1) > m->cap && grow(m))
		return -ENOMEM;
	i = find(m, key);
	if (!m->key[i]) {
		m->key[i] = key;
		m->mask[i] = 0;
		m->used++;
	}
	*old = m->mask[i];
	m->mask[i] |= bits;
	return 0;
}

u64 page_map_get(const struct page_map *m, u64 frame)
{
	size_t i;

	if (!m->cap)
		return 0;
	i = find(m, frame + 1);
	return m->key[i] ? m->mask[i] : 0;
}

u64 page_map_del(struct page_map *m, u64 frame)
{
	size_t i, j, h;
	u64 old;

	if (!m->cap)
		return 0;
	i = find(m, frame + 1);
	if (!m->key[i])
		return 0;
	old = m->mask[i];
	/* Move back each later entry of the run whose home is not between the hole and it. */
	for (j = (i + 1) & (m->cap - 1); m->key[j]; j = (j + 1) & (m->cap - 1)) {
		h = home(m, m->key[j]);
		if (((j - h) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->key[i] = m->key[j];
			m->mask[i] = m->mask[j];
			i = j;
		}
	}
	m->key[i] = 0;
	m->mask[i] = 0;
	m->used--;
	return old;
}

void page_map_free(struct page_map *m)
{
	free(m->key);
	free(m->mask);
	*m = (struct page_map){ 0 };
}
