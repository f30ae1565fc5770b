// SPDX-License-Identifier: MIT
/*
 * Guest memory layout: memslots (KVM_SET_USER_MEMORY_REGION and ..._2,
 * with guest_memfd bindings) and memory attributes (private GFNs), with
 * Linux's validation order and errnos.  A change that makes existing
 * private mappings wrong zaps them.
 */
#include "kvm_internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE_MASK_4K		(TDX_PAGE_SIZE - 1)
/* Dirty bitmaps are indexed with an int: a user memslot stays below 2^31 pages. */
#define KVM_MEM_MAX_NR_PAGES	((1ULL << 31) - 1)

/* ---- private GFN ranges ------------------------------------------------------------ */

bool kvm_gfn_is_private(struct kvm_vm *vm, u64 gfn)
{
	return gfn_ranges_contains(&vm->private_gfns, gfn);
}

/* Do [start, end) all have the same attributes?  *private says which. */
static bool range_uniform(struct kvm_vm *vm, u64 start, u64 end, bool *private)
{
	u64 s, e;

	if (!gfn_ranges_next(&vm->private_gfns, start, &s, &e)) {
		*private = false;
		return true;
	}
	*private = s <= start;
	return *private ? e >= end : s >= end;
}

/* ---- large-page eligibility ---------------------------------------------------------- */

static u64 lpage_pages(int level)
{
	return 1ULL << (9 * level);
}

static u64 lpage_index(const struct kvm_memslot *slot, u64 gfn, int level)
{
	return (gfn >> (9 * level)) - (slot->base_gfn >> (9 * level));
}

static u64 lpage_count(const struct kvm_memslot *slot, int level)
{
	return lpage_index(slot, slot->base_gfn + slot->npages - 1, level) + 1;
}

static bool lpage_in_slot(const struct kvm_memslot *slot, u64 gfn, int level)
{
	return gfn >= slot->base_gfn &&
	       gfn + lpage_pages(level) <= slot->base_gfn + slot->npages;
}

bool kvm_hugepage_allowed(struct kvm_memslot *slot, u64 gfn, int level)
{
	u64 head = gfn & ~(lpage_pages(level) - 1);

	return lpage_in_slot(slot, head, level) &&
	       !(slot->lpage[level - 1][lpage_index(slot, head, level)] & LPAGE_MIXED);
}

/* Rescans one huge page; only those wholly inside the slot are tracked. */
static void lpage_rescan(struct kvm_vm *vm, struct kvm_memslot *slot, u64 head, int level)
{
	u8 *flags;
	bool private;

	if (!lpage_in_slot(slot, head, level))
		return;
	flags = &slot->lpage[level - 1][lpage_index(slot, head, level)];
	if (range_uniform(vm, head, head + lpage_pages(level), &private))
		*flags &= (u8)~LPAGE_MIXED;
	else
		*flags |= LPAGE_MIXED;
}

/*
 * After [start, end) got new attributes: huge pages wholly inside the
 * range are uniform now; only the head and tail ones, which straddle its
 * edges, need a rescan.  The tail is the huge page holding end - 1: the one
 * at @end itself is untouched (and may lie beyond the slot).
 */
static void lpage_clear_mixed(struct kvm_memslot *slot, u64 hp, int level)
{
	if (lpage_in_slot(slot, hp, level))
		slot->lpage[level - 1][lpage_index(slot, hp, level)] &= (u8)~LPAGE_MIXED;
}

static void lpage_update(struct kvm_vm *vm, struct kvm_memslot *slot, u64 start, u64 end)
{
	u64 s = start > slot->base_gfn ? start : slot->base_gfn;
	u64 e = end < slot->base_gfn + slot->npages ? end : slot->base_gfn + slot->npages;

	if (s >= e)
		return;
	for (int level = 1; level <= 2; level++) {
		u64 n = lpage_pages(level), head = s & ~(n - 1), tail = (e - 1) & ~(n - 1);

		if (head < start || head + n > end)
			lpage_rescan(vm, slot, head, level);
		else
			lpage_clear_mixed(slot, head, level);
		if (tail == head)
			continue;
		for (u64 hp = head + n; hp < tail; hp += n)
			lpage_clear_mixed(slot, hp, level);
		if (tail + n > end)
			lpage_rescan(vm, slot, tail, level);
		else
			lpage_clear_mixed(slot, tail, level);
	}
}

/* The private parts of [start, end) lose their mappings before they go shared. */
static void zap_private_parts(struct kvm_vm *vm, u64 start, u64 end)
{
	u64 s, e;

	for (u64 from = start; gfn_ranges_next(&vm->private_gfns, from, &s, &e) && s < end;
	     from = e)
		vm->ops->zap_private(vm, s > start ? s : start, e < end ? e : end);
}

long kvm_vm_set_memory_attributes(struct kvm_vm *vm, unsigned long arg)
{
	u64 supported = vm->has_private_mem ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
	struct kvm_memory_attributes attrs;
	u64 start, end;
	bool private;
	long ret;

	if (kvm_copy_from_user(&attrs, arg, sizeof(attrs)))
		return -EFAULT;
	if (attrs.flags || (attrs.attributes & ~supported) || !attrs.size ||
	    attrs.address + attrs.size < attrs.address ||
	    (attrs.address | attrs.size) & PAGE_MASK_4K)
		return -EINVAL;
	start = attrs.address / TDX_PAGE_SIZE;
	end = start + attrs.size / TDX_PAGE_SIZE;
	private = attrs.attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE;
	pthread_mutex_lock(&vm->slots_lock);
	if (!private)
		zap_private_parts(vm, start, end);
	else
		vm->ops->zap_shared(vm, start, end);
	ret = gfn_ranges_set(&vm->private_gfns, start, end, private);
	for (size_t i = 0; !ret && i < vm->nr_slots; i++)
		lpage_update(vm, &vm->slots[i], start, end);
	pthread_mutex_unlock(&vm->slots_lock);
	return ret;
}

/* ---- memslots --------------------------------------------------------------------------- */

u64 kvm_memslot_hpa(struct kvm_memslot *slot, u64 gfn)
{
	struct kvm_dev *d = kvm_dev();

	if (!slot->user_hpa && d->tdx) {
		u64 hpa = platform_map_user(d->tdx->plat, (void *)(uintptr_t)slot->userspace_addr,
					    slot->npages * TDX_PAGE_SIZE);

		slot->user_hpa = hpa == PLATFORM_NO_HPA ? 0 : hpa;
	}
	return slot->user_hpa ? slot->user_hpa + (gfn - slot->base_gfn) * TDX_PAGE_SIZE :
				PLATFORM_NO_HPA;
}

struct kvm_memslot *kvm_gfn_to_memslot(struct kvm_vm *vm, u64 gfn)
{
	for (size_t i = 0; i < vm->nr_slots; i++) {
		struct kvm_memslot *s = &vm->slots[i];

		if (!s->as_id && gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

static struct kvm_memslot *find_slot(struct kvm_vm *vm, u16 as_id, u16 id)
{
	for (size_t i = 0; i < vm->nr_slots; i++)
		if (vm->slots[i].as_id == as_id && vm->slots[i].id == id)
			return &vm->slots[i];
	return NULL;
}

static bool overlaps_other(struct kvm_vm *vm, const struct kvm_memslot *n)
{
	for (size_t i = 0; i < vm->nr_slots; i++) {
		const struct kvm_memslot *s = &vm->slots[i];

		if (s->as_id == n->as_id && s->id != n->id &&
		    s->base_gfn < n->base_gfn + n->npages && n->base_gfn < s->base_gfn + s->npages)
			return true;
	}
	return false;
}

static u32 valid_flags(struct kvm_vm *vm, bool v2)
{
	u32 f = KVM_MEM_LOG_DIRTY_PAGES;

	if (!vm->has_protected_state)
		f |= KVM_MEM_READONLY;
	if (v2 && vm->has_private_mem)
		f |= KVM_MEM_GUEST_MEMFD;
	return f;
}

/*
 * The top of the user address space (TASK_SIZE_MAX): 2^47 less a page with
 * 4-level paging, 2^56 less a page with 5-level, which a hint above 2^47
 * tells apart (the kernel honours it only with 5-level paging).
 */
static u64 user_address_top(void)
{
	static u64 top;
	void *p;

	if (!__atomic_load_n(&top, __ATOMIC_RELAXED)) {
		p = mmap((void *)(1ULL << 50), TDX_PAGE_SIZE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		__atomic_store_n(&top, (p != MAP_FAILED && (uintptr_t)p >= 1ULL << 47 ?
					1ULL << 56 : 1ULL << 47) - TDX_PAGE_SIZE, __ATOMIC_RELAXED);
		if (p != MAP_FAILED)
			munmap(p, TDX_PAGE_SIZE);
	}
	return top;
}

/* access_ok(): the whole range is user memory. */
static bool user_range_ok(u64 addr, u64 size)
{
	return addr + size >= addr && addr + size < user_address_top();
}

/* check_memory_region_flags() and kvm_set_memory_region()'s checks of the request. */
static long check_region(struct kvm_vm *vm, const struct kvm_userspace_memory_region2 *m,
			 bool v2)
{
	u16 as_id = m->slot >> 16, id = m->slot & 0xFFFF;

	if (m->flags & ~valid_flags(vm, v2))
		return -EINVAL;
	if ((m->flags & KVM_MEM_GUEST_MEMFD) && (m->flags & (KVM_MEM_LOG_DIRTY_PAGES |
							      KVM_MEM_READONLY)))
		return -EINVAL;
	if (as_id >= kvm_nr_memslot_as_ids(vm) || id >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	if ((m->memory_size | m->guest_phys_addr) & PAGE_MASK_4K)
		return -EINVAL;
	if (m->userspace_addr & PAGE_MASK_4K || !user_range_ok(m->userspace_addr, m->memory_size))
		return -EINVAL;
	if ((m->flags & KVM_MEM_GUEST_MEMFD) && (m->guest_memfd_offset & PAGE_MASK_4K ||
						 m->guest_memfd_offset + m->memory_size <
							 m->guest_memfd_offset))
		return -EINVAL;
	if (m->guest_phys_addr + m->memory_size < m->guest_phys_addr)
		return -EINVAL;
	if (m->memory_size / TDX_PAGE_SIZE > KVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

/*
 * kvm_arch_prepare_memory_region() for a new or moved slot: its last GFN
 * within the host's MAXPHYADDR, and not an alias (a TD's shared bit).
 */
static long check_gfns(struct kvm_vm *vm, u64 base_gfn, u64 npages)
{
	u64 last = base_gfn + npages - 1;

	return last > kvm_mmu_max_gfn() || (last & vm->gfn_direct_bits) ? -EINVAL : 0;
}

static void free_lpage_info(struct kvm_memslot *slot)
{
	free(slot->lpage[0]);
	free(slot->lpage[1]);
}

/* Mixed flags for every huge page of a new slot. */
static int alloc_lpage_info(struct kvm_vm *vm, struct kvm_memslot *slot)
{
	for (int level = 1; level <= 2; level++) {
		u64 n = lpage_pages(level);

		slot->lpage[level - 1] = calloc(lpage_count(slot, level), 1);
		if (!slot->lpage[level - 1]) {
			free_lpage_info(slot);
			return -ENOMEM;
		}
		for (u64 hp = slot->base_gfn & ~(n - 1); hp < slot->base_gfn + slot->npages; hp += n)
			lpage_rescan(vm, slot, hp, level);
	}
	return 0;
}

static size_t dirty_bitmap_bytes(const struct kvm_memslot *slot)
{
	return (slot->npages + 63) / 64 * sizeof(u64);
}

/* Dirty logging follows the slot's flag: a clean bitmap when it turns on. */
static int update_dirty_bitmap(struct kvm_memslot *slot)
{
	if (!(slot->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		free(slot->dirty_bitmap);
		slot->dirty_bitmap = NULL;
	} else if (!slot->dirty_bitmap) {
		slot->dirty_bitmap = calloc(1, dirty_bitmap_bytes(slot));
		if (!slot->dirty_bitmap)
			return -ENOMEM;
	}
	return 0;
}

static void delete_slot(struct kvm_vm *vm, struct kvm_memslot *slot)
{
	/* "For TDX guest, deleting/moving memory region loses guest memory contents." */
	if (!slot->as_id) {
		vm->ops->zap_private(vm, slot->base_gfn, slot->base_gfn + slot->npages);
		vm->ops->zap_shared(vm, slot->base_gfn, slot->base_gfn + slot->npages);
	}
	if (slot->user_hpa)
		platform_unmap_user(kvm_dev()->tdx->plat, slot->user_hpa);
	kvm_gmem_unbind(slot);
	free_lpage_info(slot);
	free(slot->dirty_bitmap);
	*slot = vm->slots[--vm->nr_slots];
}

static long create_slot(struct kvm_vm *vm, const struct kvm_userspace_memory_region2 *m,
			struct kvm_gmem *gmem)
{
	struct kvm_memslot n = {
		.as_id = m->slot >> 16,
		.id = m->slot & 0xFFFF,
		.flags = m->flags,
		.base_gfn = m->guest_phys_addr / TDX_PAGE_SIZE,
		.npages = m->memory_size / TDX_PAGE_SIZE,
		.userspace_addr = m->userspace_addr,
		.gmem_pgoff = m->guest_memfd_offset / TDX_PAGE_SIZE,
	};
	struct kvm_memslot *grown;
	long ret;

	if (overlaps_other(vm, &n))
		return -EEXIST;
	/* kvm_gmem_bind(): no open descriptor EBADF, not this VM's guest_memfd EINVAL. */
	if ((n.flags & KVM_MEM_GUEST_MEMFD) && !gmem)
		return fcntl((int)m->guest_memfd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	if (vm->nr_slots == vm->cap_slots) {
		vm->cap_slots = vm->cap_slots ? 2 * vm->cap_slots : 8;
		grown = realloc(vm->slots, vm->cap_slots * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		vm->slots = grown;
	}
	if (gmem) {
		ret = kvm_gmem_bind(gmem, &n);
		if (ret)
			return ret;
	}
	ret = check_gfns(vm, n.base_gfn, n.npages);
	if (!ret)
		ret = alloc_lpage_info(vm, &n);
	if (!ret) {
		ret = update_dirty_bitmap(&n);
		if (ret)
			free_lpage_info(&n);
	}
	if (ret) {
		kvm_gmem_unbind(&n);
		return ret;
	}
	vm->slots[vm->nr_slots++] = n;
	return 0;
}

/*
 * Changing a slot in place: only moves and dirty-logging toggles, and
 * never of a guest_memfd slot ("private memslots are immutable").
 */
static long modify_slot(struct kvm_vm *vm, struct kvm_memslot *slot,
			const struct kvm_userspace_memory_region2 *m)
{
	struct kvm_userspace_memory_region2 moved = *m;
	u32 old_flags = slot->flags;
	long ret;

	if ((slot->flags & KVM_MEM_GUEST_MEMFD) || m->userspace_addr != slot->userspace_addr ||
	    m->memory_size / TDX_PAGE_SIZE != slot->npages ||
	    ((m->flags ^ slot->flags) & (KVM_MEM_READONLY | KVM_MEM_GUEST_MEMFD)))
		return -EINVAL;
	if (m->guest_phys_addr / TDX_PAGE_SIZE == slot->base_gfn) {
		slot->flags = m->flags;
		ret = update_dirty_bitmap(slot);
		if (ret)
			slot->flags = old_flags;
		return ret;
	}
	/* Checked before the old slot goes: a refused move keeps it. */
	if (overlaps_other(vm, &(struct kvm_memslot){ .as_id = slot->as_id, .id = slot->id,
				     .base_gfn = m->guest_phys_addr / TDX_PAGE_SIZE,
				     .npages = slot->npages }))
		return -EEXIST;
	if (check_gfns(vm, m->guest_phys_addr / TDX_PAGE_SIZE, slot->npages))
		return -EINVAL;
	delete_slot(vm, slot);
	return create_slot(vm, &moved, NULL);	/* never a guest_memfd slot (above) */
}

long kvm_vm_set_memory_region(struct kvm_vm *vm, unsigned long arg, bool v2)
{
	struct kvm_userspace_memory_region2 m = { 0 };
	struct kvm_gmem *gmem = NULL;
	struct kvm_memslot *slot;
	long ret;

	if (kvm_copy_from_user(&m, arg, v2 ? sizeof(m) : sizeof(struct kvm_userspace_memory_region)))
		return -EFAULT;
	ret = check_region(vm, &m, v2);
	if (ret)
		return ret;
	if (m.memory_size && (m.flags & KVM_MEM_GUEST_MEMFD))
		gmem = kvm_gmem_of_fd(vm, (int)m.guest_memfd);
	pthread_mutex_lock(&vm->slots_lock);
	slot = find_slot(vm, m.slot >> 16, m.slot & 0xFFFF);
	if (!m.memory_size)
		ret = slot ? (delete_slot(vm, slot), 0) : -EINVAL;
	else if (slot)
		ret = modify_slot(vm, slot, &m);
	else
		ret = create_slot(vm, &m, gmem);
	pthread_mutex_unlock(&vm->slots_lock);
	kvm_gmem_put(gmem);
	return ret;
}

/*
 * KVM_GET_DIRTY_LOG without manual protection: the slot's bitmap goes to
 * userspace and starts over clean.
 */
long kvm_vm_get_dirty_log(struct kvm_vm *vm, unsigned long arg)
{
	struct kvm_dirty_log log;
	u16 as_id, id;
	struct kvm_memslot *slot;
	long ret = 0;

	if (kvm_copy_from_user(&log, arg, sizeof(log)))
		return -EFAULT;
	as_id = log.slot >> 16;
	id = log.slot & 0xFFFF;
	if (as_id >= kvm_nr_memslot_as_ids(vm) || id >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	pthread_mutex_lock(&vm->slots_lock);
	slot = find_slot(vm, as_id, id);
	if (!slot || !slot->dirty_bitmap)
		ret = -ENOENT;
	else if (kvm_copy_to_user((unsigned long)log.dirty_bitmap, slot->dirty_bitmap,
				  dirty_bitmap_bytes(slot)))
		ret = -EFAULT;
	else
		memset(slot->dirty_bitmap, 0, dirty_bitmap_bytes(slot));
	pthread_mutex_unlock(&vm->slots_lock);
	return ret;
}

/* The VM is gone: its slots' host-side tracking and the attribute ranges. */
void kvm_memslots_free(struct kvm_vm *vm)
{
	for (size_t i = 0; i < vm->nr_slots; i++) {
		free_lpage_info(&vm->slots[i]);
		free(vm->slots[i].dirty_bitmap);
	}
	free(vm->slots);
	gfn_ranges_clear(&vm->private_gfns);
}
