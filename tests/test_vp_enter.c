// SPDX-License-Identifier: MIT
/*
 * TDH.VP.ENTER and the TDCALL interface, with this test as the host VMM:
 * guest images from tests/guests/ are added with PAGE.ADD below 4 GiB, the
 * TD is finalized, and TD exits are handled here as KVM would (TDVMCALL
 * port I/O, CPUID, HLT and RDMSR; EPT violations by PAGE.AUG).
 */
#include "tdtest.h"

#include <openssl/sha.h>
#include <string.h>

extern const u8 guest_hello[], guest_tdcalls[], guest_msr[];
extern const u64 guest_hello_size, guest_tdcalls_size, guest_msr_size;

#define IMAGE_GPA	0xFFFF0000ULL
#define INITIAL_RCX	0xABC000ULL
#define PAGE_AUG	0x10000000ULL
#define PAGE_PENDING	0x10001000ULL
#define TDVMCALL_MASK	0xFFCCULL

struct vmm {
	struct tdtest *t;
	u64 reports[96];
	unsigned int nr_reports;
	char console[128];
	unsigned int console_len;
	int exit_code;
	unsigned int augs, hlts, cpuids, rdmsrs;
	u8 tdreport[1024];		/* port 0x88, 8 bytes at a time */
	unsigned int tdreport_len;
};

/* Builds a finalized TD with one vCPU running @image at the top of 4 GiB. */
static int setup_image(void **state, const u8 *image, u64 size, const struct td_params *tp)
{
	struct tdtest *t;

	tdtest_setup_host(state);
	t = *state;
	assert_status(tdlib_create(t->h, &t->td, tp), TDX_SUCCESS);
	t->has_td = true;
	assert_status(tdlib_add_vcpu(&t->td, 0, INITIAL_RCX), TDX_SUCCESS);
	for (u64 off = 0; off < size; off += TDX_PAGE_SIZE)
		assert_status(tdlib_add_page(&t->td, IMAGE_GPA + off, image + off, true),
			      TDX_SUCCESS);
	return 0;
}

static int setup_hello(void **state)
{
	struct td_params tp;

	tdlib_default_params(&tp);
	setup_image(state, guest_hello, guest_hello_size, &tp);
	assert_status(tdlib_finalize(&((struct tdtest *)*state)->td), TDX_SUCCESS);
	return 0;
}

static int setup_msr(void **state)
{
	struct td_params tp;

	tdlib_default_params(&tp);
	setup_image(state, guest_msr, guest_msr_size, &tp);
	assert_status(tdlib_finalize(&((struct tdtest *)*state)->td), TDX_SUCCESS);
	return 0;
}

static int setup_tdcalls(void **state)
{
	struct td_params tp;
	struct tdtest *t;

	tdlib_default_params(&tp);
	tp.attributes &= ~TDX_ATTR_SEPT_VE_DISABLE;	/* PENDING pages give #VE */
	setup_image(state, guest_tdcalls, guest_tdcalls_size, &tp);
	t = *state;
	assert_status(tdlib_aug(&t->td, PAGE_PENDING, 0), TDX_SUCCESS);
	assert_status(tdlib_finalize(&t->td), TDX_SUCCESS);
	return 0;
}

static u64 vp_enter(struct tdtest *t, struct seamcall_regs *r)
{
	r->rcx = t->td.vcpu[0].tdvpr;
	return tdtest_call(t, TDH_VP_ENTER, r);
}

/* One TDVMCALL, answered in @r (R10 status, R11 and R12.. outputs). */
static void tdvmcall(struct vmm *v, struct seamcall_regs *r)
{
	assert_int_equal(r->rcx, TDVMCALL_MASK);
	assert_int_equal(r->r10, 0);
	r->r10 = 0;
	switch (r->r11) {
	case 30:	/* Instruction.IO */
		assert_int_equal(r->r13, 1);
		if (r->r14 == 0x80 && v->nr_reports < 96)
			v->reports[v->nr_reports++] = r->r15;
		else if (r->r14 == 0x88 && v->tdreport_len < sizeof(v->tdreport)) {
			memcpy(v->tdreport + v->tdreport_len, &r->r15, 8);
			v->tdreport_len += 8;
		}
		else if (r->r14 == 0x3F8 && v->console_len < sizeof(v->console) - 1)
			v->console[v->console_len++] = (char)r->r15;
		else if (r->r14 == 0xF4)
			v->exit_code = (int)r->r15;
		break;
	case 10:	/* Instruction.CPUID */
		v->cpuids++;
		r->r12 = 0x4000CAFE;
		r->r13 = r->r14 = r->r15 = 0;
		break;
	case 12:	/* Instruction.HLT */
		v->hlts++;
		break;
	case 31:	/* Instruction.RDMSR */
		v->rdmsrs++;
		assert_int_equal(r->r12, 0x1b);
		r->r11 = 0xFEE00900;
		break;
	default:
		fail_msg("unexpected TDVMCALL %#llx", (unsigned long long)r->r11);
	}
}

/* Runs the vCPU until the guest writes isa-debug-exit. */
static void run_guest(struct vmm *v)
{
	struct seamcall_regs r = { 0 };
	u64 st;

	v->exit_code = -1;
	while (v->exit_code < 0) {
		st = vp_enter(v->t, &r);
		if (st == VMX_EXIT_TDCALL) {
			tdvmcall(v, &r);
		} else if (st == VMX_EXIT_EPT_VIOLATION) {
			/* The guest's ACCEPT found nothing: AUG the page and re-enter. */
			assert_int_equal(r.rdx & 0xF, TDX_EXT_EXIT_QUAL_ACCEPT);
			assert_int_equal(r.r8, PAGE_AUG);
			assert_status(tdlib_aug(&v->t->td, r.r8, 0), TDX_SUCCESS);
			v->augs++;
			memset(&r, 0, sizeof(r));
		} else {
			fail_msg("unexpected TD exit %#llx after %u reports", (unsigned long long)st,
				 v->nr_reports);
		}
	}
}

/* A TDREPORT the guest got: its MAC verifies, its hashes bind, MRTD and RTMR[2] are right. */
static void check_tdreport(struct tdtest *t, const struct tdx_report *rep)
{
	struct tdx_report bad = *rep;
	u8 mrtd[48], hash[48], rtmr_in[96] = { 0 }, rtmr2[48];

	assert_int_equal(rep->mac.report_type[0], TDX_REPORT_TYPE_TDX);
	assert_string_equal((const char *)rep->mac.report_data, "report data from inside the TD");
	assert_true(platform_verify_report_mac(t->h->plat, &rep->mac));
	bad.mac.report_data[0] ^= 1;
	assert_false(platform_verify_report_mac(t->h->plat, &bad.mac));
	SHA384((const u8 *)&rep->tdinfo, sizeof(rep->tdinfo), hash);
	assert_memory_equal(hash, rep->mac.tee_info_hash, 48);
	SHA384((const u8 *)&rep->tee_tcb_info, sizeof(rep->tee_tcb_info), hash);
	assert_memory_equal(hash, rep->mac.tee_tcb_info_hash, 48);
	/* Intel's module: VALID, TEE_TCB_SVN and MRSEAM, nothing a non-Intel one adds. */
	assert_int_equal(rep->tee_tcb_info.valid, 0x1FF);
	assert_true(!memcmp(rep->tee_tcb_info.mrsignerseam, (u8[48]){ 0 }, 48));
	assert_int_equal(rep->tee_tcb_info.attributes, 0);
	assert_status(tdlib_read_mrtd(&t->td, mrtd), TDX_SUCCESS);
	assert_memory_equal(rep->tdinfo.mrtd, mrtd, 48);
	/* RTMR[2] = SHA-384(0^48 || the 48 bytes at the image's first GPA) */
	memcpy(rtmr_in + 48, guest_tdcalls, 48);
	SHA384(rtmr_in, sizeof(rtmr_in), rtmr2);
	assert_memory_equal(rep->tdinfo.rtmr[2], rtmr2, 48);
	assert_int_equal(rep->tdinfo.attributes, 0);
}

static void test_hello(void **state)
{
	struct vmm v = { .t = *state };

	run_guest(&v);
	assert_string_equal(v.console, "hello from a TD\n");
	assert_int_equal(v.exit_code, 0x21);
}

static void test_tdcalls(void **state)
{
	struct tdtest *t = *state;
	struct vmm v = { .t = t };
	const u64 *rep = v.reports;

	run_guest(&v);
	assert_int_equal(v.exit_code, 0);
	assert_int_equal(v.nr_reports, 77);
	/* TDG.VP.INFO */
	assert_int_equal(rep[0], TDX_SUCCESS);
	assert_int_equal(rep[1], 48);
	assert_int_equal(rep[2], 0);				/* ATTRIBUTES */
	assert_int_equal(rep[3], 1 | (u64)TDLIB_MAX_VCPUS << 32);
	assert_int_equal(rep[4], 0);				/* vCPU index */
	assert_int_equal(rep[5], TDX_NO_VALID_VE_INFO);
	/* CPUID 0x21 "IntelTDX    " from the module; 0x40000000 by #VE */
	assert_int_equal(rep[6], 0x65746e49);
	assert_int_equal(rep[7], 0x5844546c);
	assert_int_equal(rep[8], 0x20202020);
	assert_int_equal(rep[9], 1);
	assert_int_equal(rep[10], VMX_EXIT_CPUID);
	assert_int_equal(rep[11], 2);
	assert_int_equal(rep[12], 0x4000CAFE);
	/* HLT, RDMSR by #VE and TDVMCALL */
	assert_int_equal(rep[13], VMX_EXIT_HLT);
	assert_int_equal(rep[14], VMX_EXIT_MSR_READ);
	assert_int_equal(rep[15], 0xFEE00900);
	/* ACCEPT after the VMM's AUG; then already accepted; bad operands */
	assert_int_equal(rep[16], TDX_SUCCESS);
	assert_int_equal(rep[17], 0x1122334455667788ULL);
	assert_int_equal(rep[18], TDX_PAGE_ALREADY_ACCEPTED);
	assert_int_equal(rep[19], TDX_PAGE_SIZE_MISMATCH | 1);
	assert_int_equal(rep[20], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(rep[21], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(v.augs, 1);
	/* A PENDING page touched: #VE(EPT violation), accepted by the handler */
	assert_int_equal(rep[22], 0);
	assert_int_equal(rep[23], VMX_EXIT_EPT_VIOLATION);
	assert_int_equal(rep[24], PAGE_PENDING);
	/* Unknown leaf, version, VMCALL mask, CPUIDVE flags, RTMR operands */
	assert_int_equal(rep[25], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_int_equal(rep[26], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_int_equal(rep[27], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(rep[28], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(rep[29], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(rep[30], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_int_equal(rep[31], TDX_SUCCESS);
	/* CPUIDVE.SET(CPL 0): even leaf 0 is a #VE now */
	assert_int_equal(rep[32], TDX_SUCCESS);
	assert_int_equal(rep[33], VMX_EXIT_CPUID);
	assert_int_equal(rep[34], 0);			/* never a #DF */
	assert_int_equal(v.hlts, 1);
	assert_int_equal(v.rdmsrs, 1);
	/* TDG.MR.REPORT operands, then the report itself */
	assert_int_equal(rep[35], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(rep[36], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_int_equal(rep[37], TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	assert_int_equal(rep[38], TDX_SUCCESS);
	assert_int_equal(v.tdreport_len, 1024);
	check_tdreport(t, (const struct tdx_report *)v.tdreport);
	/* TDG.VM.RD/WR: readable fields, version 1's next ID, the masks, operands */
	assert_int_equal(rep[39], TDX_SUCCESS);
	assert_int_equal(rep[40], 0);				/* ATTRIBUTES */
	assert_int_equal(rep[41], TDX_SUCCESS);
	assert_int_equal(rep[42], 0x1110000300000001ULL);	/* XFAM comes next */
	assert_int_equal(rep[43], TDX_METADATA_FIELD_NOT_READABLE);
	assert_int_equal(rep[44], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(rep[45], TDX_SUCCESS);
	assert_int_equal(rep[46], TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(rep[47], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_int_equal(rep[48], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	/* TDG.SYS.RD: announced by VP.INFO; the guest's fields only, in order */
	assert_int_equal(rep[49], 1);
	assert_int_equal(rep[50], TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(rep[51], MD_SYS_VENDOR_ID);
	assert_int_equal(rep[52], TDX_SUCCESS);
	assert_int_equal(rep[53], 1);				/* TDX module 1.5 */
	assert_int_equal(rep[54], MD_SYS_SYS_ATTRIBUTES);	/* UPDATE_VERSION is the host's */
	assert_int_equal(rep[55], TDX_METADATA_FIELD_NOT_READABLE);
	assert_int_equal(rep[56], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	/* TDG.VP.RD/WR: the guest's masks of 1.5's TDVPS table */
	assert_int_equal(rep[57], TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(rep[58], MD_VP_VCPU_INDEX);
	assert_int_equal(rep[59], TDX_SUCCESS);
	assert_int_equal(rep[60], 0);
	assert_int_equal(rep[61], MD_VP_CPUID_SUPERVISOR_VE);
	assert_int_equal(rep[62], TDX_SUCCESS);
	assert_int_equal(rep[63], 1);				/* CPUIDVE.SET's bit 0 */
	assert_int_equal(rep[64], TDX_SUCCESS);
	assert_int_equal(rep[65], 1);
	assert_int_equal(rep[66], TDX_SUCCESS);			/* CPUID_CONTROL[11] */
	assert_int_equal(rep[67], 0);				/* leaf 0 runs */
	assert_int_equal(rep[68], VMX_EXIT_CPUID);		/* leaf 3 is a #VE */
	assert_int_equal(v.cpuids, 3);
	assert_int_equal(rep[69], TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(rep[70], TDX_METADATA_FIELD_NOT_READABLE);
	assert_int_equal(rep[71], TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(rep[72], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(rep[73], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	/* TDG.MR.REPORT in Intel's order: RDX's walk, then R8, then RCX (shared allowed) */
	assert_int_equal(rep[74], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_int_equal(rep[75], TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	assert_int_equal(rep[76], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

/* The entry checks, in the module's order. */
static void test_enter_checks(void **state)
{
	struct tdtest *t = *state;
	u64 tdvpr = t->td.vcpu[0].tdvpr;
	struct seamcall_regs r;

	r = (struct seamcall_regs){ .rcx = tdvpr | 1 };
	assert_status(tdtest_call(t, TDH_VP_ENTER, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = tdvpr | (1ULL << 54) };
	assert_status(tdtest_call(t, TDH_VP_ENTER, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_VP_ENTER, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	/* No trap-like exit yet, and no L2 VM to resume. */
	r = (struct seamcall_regs){ .rcx = tdvpr | TDX_VP_ENTER_RECOVERABILITY };
	assert_status(tdtest_call(t, TDH_VP_ENTER, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = tdvpr | TDX_VP_ENTER_RESUME_L1 };
	assert_status(tdtest_call(t, TDH_VP_ENTER, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* TDH.VP.INIT associated it with LP 0: LP 1 may not enter it. */
	r = (struct seamcall_regs){ .rcx = tdvpr };
	assert_status(tdtest_call_lp(t, 1, TDH_VP_ENTER, &r), TDX_VCPU_ASSOCIATED);
}

/* Before TDH.MR.FINALIZE no vCPU may run. */
static void test_enter_before_finalize(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r = { .rcx = t->td.vcpu[0].tdvpr };

	assert_status(tdtest_call(t, TDH_VP_ENTER, &r), TDX_OP_STATE_INCORRECT);
}

/* With SEPT_VE_DISABLE, touching a PENDING page is an exit, not a #VE. */
static int setup_sept_ve_disable(void **state)
{
	struct td_params tp;
	struct tdtest *t;

	tdlib_default_params(&tp);	/* with SEPT_VE_DISABLE, as KVM sets it */
	setup_image(state, guest_tdcalls, guest_tdcalls_size, &tp);
	t = *state;
	assert_status(tdlib_aug(&t->td, PAGE_PENDING, 0), TDX_SUCCESS);
	assert_status(tdlib_finalize(&t->td), TDX_SUCCESS);
	return 0;
}

static void test_pending_exit_with_sept_ve_disable(void **state)
{
	struct vmm v = { .t = *state };
	struct seamcall_regs r = { 0 };
	u64 st;

	for (;;) {
		st = vp_enter(v.t, &r);
		if (st == VMX_EXIT_TDCALL) {
			tdvmcall(&v, &r);
			continue;
		}
		assert_int_equal(st, VMX_EXIT_EPT_VIOLATION);
		if ((r.rdx & 0xF) == TDX_EXT_EXIT_QUAL_ACCEPT) {
			assert_status(tdlib_aug(&v.t->td, r.r8, 0), TDX_SUCCESS);
			memset(&r, 0, sizeof(r));
			continue;
		}
		break;
	}
	assert_int_equal(r.rdx & 0xF, TDX_EXT_EXIT_QUAL_PENDING_EPT_VIOLATION);
	assert_int_equal(r.r8, PAGE_PENDING);
	assert_int_equal(r.rcx & EPT_QUAL_READ, EPT_QUAL_READ);
	assert_int_equal(v.nr_reports, 22);	/* everything before step 6 */
}

/*
 * The host writes one of the TD's pages behind its back (the line loses its
 * TD bit): the vCPU's first use of the page is a machine check, the TD is
 * dead, and every later entry fails.
 */
static void test_poisoned_page_kills_td(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r = { 0 };
	u64 hpa = tdtest_hpa_at(t, 0xFFFFF000ULL, 0), junk = 0xBAD;

	assert_int_equal(platform_host_write(t->h->plat, hpa, &junk, sizeof(junk)), 0);
	assert_status(vp_enter(t, &r), TDX_NON_RECOVERABLE_TD);
	r = (struct seamcall_regs){ 0 };
	assert_status(vp_enter(t, &r), TDX_TD_FATAL);
}

/* The TDX 1.5 MSR table: native, #GP, #VE or the module's own answer, by MSR. */
static void test_msr_table(void **state)
{
	static const u64 want[][2] = {
		{ 0, 0x1801 }, { 20, VMX_EXIT_MSR_WRITE }, { 0, 0x20016B }, { 0, 1 },
		{ 13, 0 }, { 20, VMX_EXIT_MSR_READ }, { 20, VMX_EXIT_MSR_READ },
		{ 0, 0 }, { 0, 0x10 }, { 0, 0 }, { 0, 1 }, { 13, 0 },
		{ 20, VMX_EXIT_MSR_WRITE }, { 0, 0 }, { 13, 0 }, { 0, 0 }, { 13, 0 },
		{ 0, 0 }, { 13, 0 },
	};
	struct vmm v = { .t = *state };

	run_guest(&v);
	assert_int_equal(v.exit_code, 0);
	assert_int_equal(v.nr_reports, 2 * sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (v.reports[2 * i] != want[i][0] || v.reports[2 * i + 1] != want[i][1])
			fail_msg("access %zu: vector %llu value %#llx, expected %llu %#llx", i,
				 (unsigned long long)v.reports[2 * i],
				 (unsigned long long)v.reports[2 * i + 1],
				 (unsigned long long)want[i][0], (unsigned long long)want[i][1]);
	}
	assert_int_equal(v.rdmsrs, 0);	/* the guest asked the VMM for nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello, setup_hello, tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_tdcalls, setup_tdcalls, tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_msr_table, setup_msr, tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_enter_checks, setup_hello, tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_enter_before_finalize, tdtest_setup_built,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_pending_exit_with_sept_ve_disable,
						setup_sept_ve_disable, tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_poisoned_page_kills_td, setup_hello,
						tdtest_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
