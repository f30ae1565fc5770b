// SPDX-License-Identifier: MIT
/*
 * TDVMCALL<GetQuote> and <SetupEventNotifyInterrupt>, served as QEMU serves
 * them (target/i386/kvm/tdx.c, tdx-quote-generator.c): the TD's shared
 * buffer starts with a 24-byte header {u64 structure_version = 1;
 * u64 error_code; u32 in_len; u32 out_len} and the TDREPORT after it.  The
 * request goes to the quote-generation socket on a thread of its own while
 * the header says IN_FLIGHT; the quote then replaces the report, the
 * header says SUCCESS or ERROR, and the vector the TD registered is sent to
 * the vCPU that registered it.
 */
#include "vmm.h"
#include "../attest/qgs.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_SIZE		24
#define MAX_BUF_LEN		(128u << 10)	/* QEMU's TDX_GET_QUOTE_MAX_BUF_LEN */
#define STRUCTURE_VERSION	1
#define STATUS_SUCCESS		0ULL
#define STATUS_IN_FLIGHT	(~0ULL)
#define STATUS_ERROR		0x8000000000000000ULL
#define STATUS_QGS_UNAVAILABLE	0x8000000000000001ULL
#define TDVMCALL_SUCCESS	0ULL
#define TDVMCALL_RETRY		1ULL
#define TDVMCALL_INVALID_OPERAND 0x8000000000000000ULL
#define TDVMCALL_ALIGN_ERROR	0x8000000000000002ULL

struct quote_task {
	struct vmm_quotes *q;
	uint8_t *buf;			/* the TD's shared buffer, in the VMM */
	uint64_t len;
	uint32_t in_len;
};

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The data first, then the status the TD polls: a TD never sees half a quote. */
static void complete(struct quote_task *t, uint64_t status, const uint8_t *quote, size_t len)
{
	if (status == STATUS_SUCCESS)
		memcpy(t->buf + HEADER_SIZE, quote, len);
	put_le(t->buf + 20, status == STATUS_SUCCESS ? len : 0, 4);
	atomic_thread_fence(memory_order_release);
	put_le(t->buf + 8, status, 8);
}

static void save_quote(struct vmm_quotes *q, const uint8_t *quote, size_t len)
{
	FILE *f = fopen(q->out_path, "wb");

	if (!f || fwrite(quote, 1, len, f) != len)
		fprintf(stderr, "softtdx run: cannot write the quote to %s\n", q->out_path);
	if (f)
		fclose(f);
}

static void *quote_thread(void *arg)
{
	struct quote_task *t = arg;
	struct vmm_quotes *q = t->q;
	uint8_t *report = malloc(t->in_len), *quote = NULL;
	size_t len = 0;
	char err[200] = "out of memory";
	int ret = -1;

	if (report) {
		memcpy(report, t->buf + HEADER_SIZE, t->in_len);
		ret = qgs_get_quote(q->addr, report, t->in_len, &quote, &len, err, sizeof(err));
	}
	if (!ret && len > t->len - HEADER_SIZE) {
		snprintf(err, sizeof(err), "a %zu-byte quote does not fit the TD's %llu-byte buffer",
			 len, (unsigned long long)t->len);
		ret = -1;
	}
	pthread_mutex_lock(&q->lock);
	if (ret) {
		fprintf(stderr, "softtdx run: GetQuote: %s\n", err);
	} else {
		q->quotes++;
		if (t->in_len >= VMM_TDREPORT_SIZE)
			memcpy(q->last_report, report, VMM_TDREPORT_SIZE);
		if (q->out_path)
			save_quote(q, quote, len);
		fprintf(stderr, "softtdx run: GetQuote: a %zu-byte TD quote from %s\n", len, q->addr);
	}
	complete(t, ret ? STATUS_ERROR : STATUS_SUCCESS, quote, len);
	if (q->notify_vector)
		q->notify(q->ctx, q->notify_apic_id, (uint8_t)q->notify_vector);
	if (!--q->in_flight)
		pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
	free(report);
	free(quote);
	free(t);
	return NULL;
}

/* A new request: its thread, or RETRY when 16 are in flight (QEMU's limit). */
static uint64_t start(struct vmm_quotes *q, struct quote_task *t)
{
	uint64_t ret = TDVMCALL_RETRY;
	pthread_attr_t attr;
	pthread_t thr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&q->lock);
	if (q->in_flight < VMM_MAX_QUOTES) {
		put_le(t->buf + 8, STATUS_IN_FLIGHT, 8);
		if (!pthread_create(&thr, &attr, quote_thread, t)) {
			q->in_flight++;
			ret = TDVMCALL_SUCCESS;
		} else {
			put_le(t->buf + 8, STATUS_SUCCESS, 8);
		}
	}
	pthread_mutex_unlock(&q->lock);
	pthread_attr_destroy(&attr);
	if (ret != TDVMCALL_SUCCESS)
		free(t);
	return ret;
}

uint64_t vmm_get_quote(struct vmm_quotes *q, uint8_t *buf, uint64_t gpa, uint64_t len)
{
	struct quote_task *t;
	uint32_t in_len;

	if (gpa % 4096 || len % 4096)
		return TDVMCALL_ALIGN_ERROR;
	if (!len || len > MAX_BUF_LEN || !buf)
		return TDVMCALL_INVALID_OPERAND;
	in_len = (uint32_t)get_le64(buf + 16);
	/* A header the TD filled in: version 1, status cleared, a request that fits. */
	if (get_le64(buf) != STRUCTURE_VERSION || get_le64(buf + 8) != STATUS_SUCCESS ||
	    !in_len || in_len > len - HEADER_SIZE)
		return TDVMCALL_INVALID_OPERAND;
	if (!q->addr) {
		put_le(buf + 8, STATUS_QGS_UNAVAILABLE, 8);
		put_le(buf + 20, 0, 4);
		return TDVMCALL_SUCCESS;
	}
	t = malloc(sizeof(*t));
	if (!t)
		return TDVMCALL_RETRY;
	*t = (struct quote_task){ q, buf, len, in_len };
	return start(q, t);
}

void vmm_setup_event_notify(struct vmm_quotes *q, uint32_t vector, uint32_t apic_id)
{
	pthread_mutex_lock(&q->lock);
	q->notify_vector = vector;
	q->notify_apic_id = apic_id;
	pthread_mutex_unlock(&q->lock);
}

void vmm_quotes_init(struct vmm_quotes *q, const char *addr, const char *out_path,
		     void (*notify)(void *ctx, uint32_t apic_id, uint8_t vector), void *ctx)
{
	*q = (struct vmm_quotes){ .addr = addr, .out_path = out_path, .notify = notify, .ctx = ctx };
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->idle, NULL);
}

void vmm_quotes_drain(struct vmm_quotes *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->in_flight)
		pthread_cond_wait(&q->idle, &q->lock);
	pthread_mutex_unlock(&q->lock);
}
