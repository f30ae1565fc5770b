// SPDX-License-Identifier: MIT
/*
 * Interrupts from userspace into a VM with the split irqchip (the local
 * APICs in KVM, the IOAPIC and PIC in the VMM): KVM_SIGNAL_MSI, and GSI
 * routes (KVM_SET_GSI_ROUTING) that KVM_IRQ_LINE fires.  A split irqchip
 * takes MSI routes only, as Linux's kvm_set_routing_entry() decides; an
 * MSI goes to its vCPU through the VM's deliver_interrupt(), a posted
 * interrupt for a TD.
 */
#include "kvm_internal.h"

#include <stdlib.h>

#define KVM_USERSPACE_IRQ_SOURCE_ID	0

struct kvm_msi_route {
	u32 gsi;
	u32 address_lo, address_hi, data;
};

#define MSI_FIXED		0
#define MSI_LOWEST_PRIORITY	1
#define MSI_NMI			4

/*
 * An MSI softtdx delivers: physical destination, one APIC ID, fixed or
 * lowest-priority mode with a vector of 16 or above, or an NMI.  Other
 * messages are refused: -EINVAL.
 */
static long msi_check(u32 address_lo, u32 address_hi, u32 data, u32 *dest)
{
	u32 mode = data >> 8 & 7;

	*dest = (address_lo >> 12 & 0xFF) | (address_hi & ~0xFFu);
	if ((address_lo & 0xFFF00000u) != 0xFEE00000u || (address_lo & 4) || *dest == 0xFF)
		return -EINVAL;
	if (mode == MSI_NMI)
		return 0;
	if ((mode != MSI_FIXED && mode != MSI_LOWEST_PRIORITY) || (data & 0xFF) < 16)
		return -EINVAL;
	return 0;
}

/* The checked message to its vCPU: a posted vector, or a queued NMI. */
static int deliver_msi(struct kvm_vm *vm, u32 dest, u32 data)
{
	if ((data >> 8 & 7) == MSI_NMI)
		return vm->ops->deliver_nmi(vm, dest);
	return vm->ops->deliver_interrupt(vm, dest, (u8)data);
}

long kvm_vm_signal_msi(struct kvm_vm *vm, unsigned long arg)
{
	struct kvm_msi msi;
	u32 dest;

	if (kvm_copy_from_user(&msi, arg, sizeof(msi)))
		return -EFAULT;
	if (msi.flags & ~KVM_MSI_VALID_DEVID)
		return -EINVAL;
	if (!vm->split_irqchip)
		return -EINVAL;
	if (msi_check(msi.address_lo, msi.address_hi, msi.data, &dest))
		return -EINVAL;
	return deliver_msi(vm, dest, msi.data);
}

/*
 * One entry of a KVM_SET_GSI_ROUTING table, as kvm_set_irq_routing() checks
 * it: any message is stored (QEMU installs zeroed placeholders first); one
 * softtdx cannot deliver reaches no vCPU when its GSI fires.
 */
static long route_from_user(const struct kvm_irq_routing_entry *ue, struct kvm_msi_route *r)
{
	if (ue->gsi >= KVM_MAX_IRQ_ROUTES)
		return -EINVAL;
	if (ue->type != KVM_IRQ_ROUTING_MSI)
		return -EINVAL;		/* IRQCHIP pins need the in-kernel IOAPIC */
	if (ue->flags & ~KVM_MSI_VALID_DEVID)
		return -EINVAL;
	*r = (struct kvm_msi_route){ ue->gsi, ue->u.msi.address_lo, ue->u.msi.address_hi,
				     ue->u.msi.data };
	return 0;
}

long kvm_vm_set_gsi_routing(struct kvm_vm *vm, unsigned long arg)
{
	struct kvm_irq_routing hdr;
	struct kvm_irq_routing_entry *ue = NULL;
	struct kvm_msi_route *routes = NULL;
	long ret = 0;

	if (kvm_copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (!vm->split_irqchip || hdr.nr > KVM_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	if (hdr.nr) {
		ue = calloc(hdr.nr, sizeof(*ue));
		routes = calloc(hdr.nr, sizeof(*routes));
		if (!ue || !routes)
			ret = -ENOMEM;
		else if (kvm_copy_from_user(ue, arg + sizeof(hdr), hdr.nr * sizeof(*ue)))
			ret = -EFAULT;
	}
	for (u32 i = 0; !ret && i < hdr.nr; i++)
		ret = route_from_user(&ue[i], &routes[i]);
	if (!ret) {
		pthread_mutex_lock(&vm->lock);
		free(vm->msi_routes);
		vm->msi_routes = routes;
		vm->nr_msi_routes = hdr.nr;
		pthread_mutex_unlock(&vm->lock);
		routes = NULL;
	}
	free(routes);
	free(ue);
	return ret;
}

/*
 * kvm_set_irq(): every route of @gsi fires on level 1 (MSIs are edges);
 * the status is the number of vCPUs that got it, or -1 when none could.
 */
static long set_irq(struct kvm_vm *vm, u32 gsi, u32 level, int *status)
{
	int ret = -1;

	pthread_mutex_lock(&vm->lock);
	for (u32 i = 0; i < vm->nr_msi_routes; i++) {
		const struct kvm_msi_route *r = &vm->msi_routes[i];
		u32 dest;
		int n;

		if (r->gsi != gsi)
			continue;
		n = -1;
		if (level && !msi_check(r->address_lo, r->address_hi, r->data, &dest))
			n = deliver_msi(vm, dest, r->data);
		if (n < -1) {
			pthread_mutex_unlock(&vm->lock);
			return n;	/* this VM cannot take interrupts at all */
		}
		ret = n + (ret < 0 ? 0 : ret);
	}
	pthread_mutex_unlock(&vm->lock);
	*status = ret;
	return 0;
}

int kvm_vm_fire_gsi(struct kvm_vm *vm, u32 gsi)
{
	int status = -1;

	return set_irq(vm, gsi, 1, &status) ? -1 : status;
}

long kvm_vm_irq_line(struct kvm_vm *vm, unsigned long arg, bool with_status)
{
	struct kvm_irq_level irq;
	long ret;

	if (kvm_copy_from_user(&irq, arg, sizeof(irq)))
		return -EFAULT;
	if (!vm->split_irqchip)
		return -ENXIO;
	ret = set_irq(vm, irq.irq, irq.level, &irq.status);
	if (!ret && with_status && kvm_copy_to_user(arg, &irq, sizeof(irq)))
		return -EFAULT;
	return ret;
}

void kvm_vm_free_gsi_routing(struct kvm_vm *vm)
{
	free(vm->msi_routes);
	vm->msi_routes = NULL;
	vm->nr_msi_routes = 0;
}
