// SPDX-License-Identifier: MIT
/*
 * guest_memfd: a file of guest-private memory, with no user mapping.
 *
 * Its pages are host physical pages (TDX memory), allocated on first use
 * and kept in chunks of 512 under a radix tree of 512-way nodes, as deep
 * as the file's size needs: a file costs what is used, so an 8 EiB one is
 * as cheap to create as Linux's (an inode and a size).  The file pins its VM, not the other way
 * round: memslots bind ranges of it weakly, and when the last descriptor
 * closes, every private mapping of its pages is zapped, the bindings are
 * invalidated, and the pages go back to the host.
 */
#include "kvm_internal.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>

#define CHUNK_PAGES	512
#define NODE_SLOTS	512	/* 9 bits of the chunk index per tree level */
#define PAGE_POPULATED	1ULL	/* in the HPA's low bit: the TD has the page */

struct kvm_gmem {
	struct kvm_obj obj;
	struct kvm_vm *vm;
	u64 npages;
	void *root;		/* nodes down to chunks: HPA | PAGE_POPULATED per page, 0 = none */
	int levels;		/* nodes between the root pointer and a chunk */
	pthread_mutex_t lock;
};

static struct platform *plat(void)
{
	return kvm_dev()->tdx->plat;
}

/* Where the chunk of page @index hangs (allocating the nodes with @alloc), or NULL. */
static u64 **chunk_ref(struct kvm_gmem *g, u64 index, bool alloc)
{
	u64 chunk = index / CHUNK_PAGES;
	void **ref = &g->root;

	for (int level = g->levels - 1; level >= 0; level--) {
		if (!*ref && (!alloc || !(*ref = calloc(NODE_SLOTS, sizeof(void *)))))
			return NULL;
		ref = &((void **)*ref)[chunk >> (9 * level) & (NODE_SLOTS - 1)];
	}
	return (u64 **)ref;
}

static u64 *chunk_of(struct kvm_gmem *g, u64 index)
{
	u64 **ref = chunk_ref(g, index, false);

	return ref ? *ref : NULL;
}

static u64 *page_slot(struct kvm_gmem *g, u64 index, bool alloc)
{
	u64 **chunk = chunk_ref(g, index, alloc);

	if (chunk && !*chunk && alloc)
		*chunk = calloc(CHUNK_PAGES, sizeof(u64));
	return chunk && *chunk ? &(*chunk)[index % CHUNK_PAGES] : NULL;
}

static u64 *slot_page(struct kvm_memslot *slot, u64 gfn, bool alloc)
{
	return page_slot(slot->gmem, slot->gmem_pgoff + (gfn - slot->base_gfn), alloc);
}

static u64 file_index(struct kvm_memslot *slot, u64 gfn)
{
	return slot->gmem_pgoff + (gfn - slot->base_gfn);
}

/*
 * A chunk's first use: one 2M-aligned run of 512 pages when it can, so that
 * the chunk can later be mapped as one large page.  Lock held.
 */
static void fill_chunk_huge(struct kvm_gmem *g, u64 index)
{
	u64 first = index & ~(u64)(CHUNK_PAGES - 1), *chunk, hpa;

	if (first + CHUNK_PAGES > g->npages || chunk_of(g, first))
		return;
	chunk = page_slot(g, first, true);
	if (!chunk)
		return;
	hpa = platform_alloc_pages(plat(), CHUNK_PAGES, CHUNK_PAGES);
	for (u64 i = 0; hpa != PLATFORM_NO_HPA && i < CHUNK_PAGES; i++)
		chunk[i] = hpa + i * TDX_PAGE_SIZE;
}

int kvm_gmem_get_huge(struct kvm_memslot *slot, u64 gfn, u64 *hpa)
{
	struct kvm_gmem *g = slot->gmem;
	u64 index = file_index(slot, gfn), *chunk;
	int ret = -EAGAIN;

	if (index % CHUNK_PAGES)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	fill_chunk_huge(g, index);
	chunk = chunk_of(g, index);
	if (chunk && chunk[0] && !(chunk[0] & (TDX_PAGE_SIZE_2M - 1))) {
		ret = 0;
		for (u64 i = 0; i < CHUNK_PAGES && !ret; i++)
			if (chunk[i] != chunk[0] + i * TDX_PAGE_SIZE)
				ret = -EAGAIN;	/* populated, or not contiguous */
		*hpa = chunk[0];
	}
	pthread_mutex_unlock(&g->lock);
	return ret;
}

int kvm_gmem_get_pfn(struct kvm_memslot *slot, u64 gfn, u64 *hpa, bool *populated)
{
	struct kvm_gmem *g = slot->gmem;
	int ret = -ENOMEM;
	u64 *p;

	pthread_mutex_lock(&g->lock);
	fill_chunk_huge(g, file_index(slot, gfn));
	p = slot_page(slot, gfn, true);
	if (p && !*p) {
		u64 page = platform_alloc_page(plat());

		if (page != PLATFORM_NO_HPA)
			*p = page;
	}
	if (p && *p) {
		*hpa = *p & ~PAGE_POPULATED;
		*populated = *p & PAGE_POPULATED;
		ret = 0;
	}
	pthread_mutex_unlock(&g->lock);
	return ret;
}

void kvm_gmem_set_populated_range(struct kvm_memslot *slot, u64 gfn, u64 nr, bool populated)
{
	struct kvm_gmem *g = slot->gmem;

	pthread_mutex_lock(&g->lock);
	for (u64 i = 0; i < nr; i++) {
		u64 *p = slot_page(slot, gfn + i, false);

		if (p && *p)
			*p = populated ? *p | PAGE_POPULATED : *p & ~PAGE_POPULATED;
	}
	pthread_mutex_unlock(&g->lock);
}

void kvm_gmem_set_populated(struct kvm_memslot *slot, u64 gfn, bool populated)
{
	kvm_gmem_set_populated_range(slot, gfn, 1, populated);
}

/* Frees the chunk's pages the module gave back; counts those it still has. */
static void free_chunk(u64 *chunk, u64 *leaked)
{
	for (u64 i = 0; i < CHUNK_PAGES; i++) {
		if (chunk[i] & PAGE_POPULATED)
			(*leaked)++;	/* the module would not give it back */
		else if (chunk[i])
			platform_free_pages(plat(), chunk[i], 1);
	}
	free(chunk);
}

static void free_tree(void *node, int level, u64 *leaked)
{
	if (!node)
		return;
	if (!level) {
		free_chunk(node, leaked);
		return;
	}
	for (int i = 0; i < NODE_SLOTS; i++)
		free_tree(((void **)node)[i], level - 1, leaked);
	free(node);
}

static void free_pages(struct kvm_gmem *g)
{
	u64 leaked = 0;

	free_tree(g->root, g->levels, &leaked);
	if (leaked)
		fprintf(stderr, "softtdx: guest_memfd leaks %llu TD pages\n",
			(unsigned long long)leaked);
}

static void gmem_release(struct kvm_obj *obj)
{
	struct kvm_gmem *g = (struct kvm_gmem *)obj;
	struct kvm_vm *vm = g->vm;

	pthread_mutex_lock(&vm->slots_lock);
	for (size_t i = 0; i < vm->nr_slots; i++) {
		struct kvm_memslot *slot = &vm->slots[i];

		if (slot->gmem != g)
			continue;
		vm->ops->zap_private(vm, slot->base_gfn, slot->base_gfn + slot->npages);
		slot->gmem = NULL;
	}
	pthread_mutex_unlock(&vm->slots_lock);
	free_pages(g);
	pthread_mutex_destroy(&g->lock);
	free(g);
	kvm_obj_put(&vm->obj);
}

static long gmem_ioctl(struct kvm_obj *obj, unsigned int request, unsigned long arg)
{
	(void)obj;
	(void)request;
	(void)arg;
	return -ENOTTY;	/* guest_memfd has no ioctls */
}

static const struct kvm_obj_ops gmem_obj_ops = {
	.ioctl = gmem_ioctl,
	.release = gmem_release,
};

long kvm_create_guest_memfd(struct kvm_vm *vm, unsigned long arg)
{
	struct kvm_create_guest_memfd args;
	struct kvm_gmem *g;
	long fd;

	if (kvm_copy_from_user(&args, arg, sizeof(args)))
		return -EFAULT;
	if (args.flags || !args.size || args.size & (TDX_PAGE_SIZE - 1) ||
	    (long long)args.size < 0)
		return -EINVAL;
	if (!kvm_dev()->tdx)
		return -ENOMEM;	/* no TDX memory to back it */
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->vm = vm;
	g->npages = args.size / TDX_PAGE_SIZE;
	for (u64 chunks = (g->npages - 1) / CHUNK_PAGES; chunks; chunks >>= 9)
		g->levels++;
	pthread_mutex_init(&g->lock, NULL);
	kvm_obj_get(&vm->obj);
	fd = kvm_obj_install(&g->obj, KVM_OBJ_GMEM, &gmem_obj_ops);
	if (fd < 0) {
		kvm_obj_put(&vm->obj);
		free(g);
	}
	return fd;
}

struct kvm_gmem *kvm_gmem_of_fd(struct kvm_vm *vm, int fd)
{
	struct kvm_obj *obj = kvm_obj_of_fd(fd);

	if (obj && obj->type == KVM_OBJ_GMEM && ((struct kvm_gmem *)obj)->vm == vm)
		return (struct kvm_gmem *)obj;
	if (obj)
		kvm_obj_put(obj);
	return NULL;
}

void kvm_gmem_put(struct kvm_gmem *g)
{
	if (g)
		kvm_obj_put(&g->obj);
}

/*
 * Frees the pages of file pages [start, end) under @node (at @level, its
 * first page @first), visiting only the chunks that exist: a hole punched
 * across an 8 EiB file costs what the file holds.  A page the module still
 * holds (never after the zap) stays.
 */
static void free_range(void *node, int level, u64 first, u64 start, u64 end)
{
	u64 span = (u64)CHUNK_PAGES << (9 * level);	/* pages under @node */

	if (!node || first >= end || (span && first + span <= start))
		return;
	if (level) {
		for (u64 i = 0; i < NODE_SLOTS; i++)
			free_range(((void **)node)[i], level - 1, first + i * (span / NODE_SLOTS),
				   start, end);
		return;
	}
	for (u64 i = 0; i < CHUNK_PAGES; i++) {
		u64 *p = &((u64 *)node)[i];

		if (first + i >= start && first + i < end && *p && !(*p & PAGE_POPULATED)) {
			platform_free_pages(plat(), *p, 1);
			*p = 0;
		}
	}
}

/*
 * FALLOC_FL_PUNCH_HOLE: the private mappings of [start, end) (file pages)
 * go from every slot bound there, then the pages go back to the host, as
 * kvm_gmem_punch_hole() truncates them.  The range may run past the file.
 */
static void punch_hole(struct kvm_gmem *g, u64 start, u64 end)
{
	struct kvm_vm *vm = g->vm;

	pthread_mutex_lock(&vm->slots_lock);
	for (size_t i = 0; i < vm->nr_slots; i++) {
		struct kvm_memslot *slot = &vm->slots[i];
		u64 s = start > slot->gmem_pgoff ? start : slot->gmem_pgoff;
		u64 e = end < slot->gmem_pgoff + slot->npages ? end : slot->gmem_pgoff + slot->npages;

		if (slot->gmem == g && s < e)
			vm->ops->zap_private(vm, slot->base_gfn + (s - slot->gmem_pgoff),
					     slot->base_gfn + (e - slot->gmem_pgoff));
	}
	pthread_mutex_lock(&g->lock);
	free_range(g->root, g->levels, 0, start, end);
	pthread_mutex_unlock(&g->lock);
	pthread_mutex_unlock(&vm->slots_lock);
}

/* The file's pages in [start, end) backed now, as kvm_gmem_allocate() does. */
static int allocate(struct kvm_gmem *g, u64 start, u64 end)
{
	int ret = 0;

	pthread_mutex_lock(&g->lock);
	for (u64 index = start; index < end && !ret; index++) {
		u64 *p = page_slot(g, index, true), page;

		if (p && *p)
			continue;
		page = p ? platform_alloc_page(plat()) : PLATFORM_NO_HPA;
		if (page == PLATFORM_NO_HPA)
			ret = -ENOMEM;
		else
			*p = page;
	}
	pthread_mutex_unlock(&g->lock);
	return ret;
}

long kvm_gmem_fallocate(struct kvm_gmem *g, int mode, u64 offset, u64 len)
{
	if (!(mode & FALLOC_FL_KEEP_SIZE) || mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((offset | len) & (TDX_PAGE_SIZE - 1))
		return -EINVAL;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		punch_hole(g, offset / TDX_PAGE_SIZE, (offset + len) / TDX_PAGE_SIZE);
		return 0;
	}
	/* "Dedicated guest is immutable by default": no growing. */
	if (offset + len > g->npages * TDX_PAGE_SIZE)
		return -EINVAL;
	return allocate(g, offset / TDX_PAGE_SIZE, (offset + len) / TDX_PAGE_SIZE);
}

int kvm_gmem_bind(struct kvm_gmem *g, struct kvm_memslot *slot)
{
	struct kvm_vm *vm = g->vm;

	if (slot->gmem_pgoff >= g->npages || slot->npages > g->npages - slot->gmem_pgoff)
		return -EINVAL;
	for (size_t i = 0; i < vm->nr_slots; i++) {
		struct kvm_memslot *o = &vm->slots[i];

		if (o->gmem == g && o->gmem_pgoff < slot->gmem_pgoff + slot->npages &&
		    slot->gmem_pgoff < o->gmem_pgoff + o->npages)
			return -EEXIST;
	}
	slot->gmem = g;
	return 0;
}

void kvm_gmem_unbind(struct kvm_memslot *slot)
{
	slot->gmem = NULL;
}
