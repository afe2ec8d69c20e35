/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for split messages: the input is a
 * run of records, each u8 sender, u8 clock step (ms), u16 length and that
 * many bytes of a message as a link would open it.  Each goes through
 * pkt_msg_decode(); a decoded PKT_MSG_FRAG goes into one lib/frag.c table.
 * Whatever comes out must hold: a joined message is exactly its total,
 * bounded, and made of the pieces offered; the table never holds more than
 * FRAG_SLOTS; every piece is accounted for.  Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "frag.h"
#include "pkt.h"

static const char *const flags[] = { "-max_len=65536", NULL };

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

static struct frag_table ft;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now = 0, offered = 0, refused = 0, pending = 0;
	size_t off = 0;

	frag_init(&ft);
	while (size - off >= 4) {
		uint8_t key = data[off];
		uint64_t step = data[off + 1];
		size_t len = (size_t)data[off + 2] << 8 | data[off + 3];
		const uint8_t *out = NULL;
		struct pkt_msg m;
		const char *why = NULL;
		size_t olen = 0;
		int rc;

		off += 4;
		if (len > size - off)
			len = size - off;
		now += step * 1000;
		if (pkt_msg_decode(data + off, len, &m, &why) == -1) {
			if (why == NULL)
				abort();
			off += len;
			continue;
		}
		off += len;
		if (m.type != PKT_MSG_FRAG)
			continue;
		if (m.u.frag.count < 2 || m.u.frag.count > PKT_FRAG_COUNT_MAX ||
		    m.u.frag.index >= m.u.frag.count ||
		    m.u.frag.total > PKT_FRAG_TOTAL_MAX ||
		    m.u.frag.piece_len == 0 ||
		    m.u.frag.piece_len > m.u.frag.total)
			abort();
		offered++;
		rc = frag_join(&ft, key, &m.u.frag, now, &out, &olen);
		if (rc == 1) {
			if (out == NULL || olen != m.u.frag.total)
				abort();
			/* the last piece in is where it belongs */
			{
				size_t po, pl;

				if (pkt_frag_piece(m.u.frag.total,
				    m.u.frag.count, m.u.frag.index, &po,
				    &pl) == -1 || pl != m.u.frag.piece_len ||
				    memcmp(out + po, m.u.frag.piece, pl) != 0)
					abort();
			}
		} else if (rc == -1)
			refused++;
		else if (rc != 0)
			abort();
		if (frag_pending(&ft) > FRAG_SLOTS)
			abort();
	}
	pending = frag_pending(&ft);
	if (ft.st.pieces != offered || ft.st.dup + ft.st.mismatch < refused)
		abort();
	(void)pending;
	return 0;
}
