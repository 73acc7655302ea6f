// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the guest page-table walker, pure logic (mm/guest_pt_logic.c,
 * included), on synthetic guest memory: 64 pages of "guest physical
 * memory" at gpa 0 in which each case writes its page tables by hand.
 * Leaf GPAs need not be inside that memory (the walker never reads them);
 * table GPAs outside it are what an unreadable table looks like.
 */
#include "mm/guest_pt_logic.c"
#include <linux/mm.h>
#include "kvmmig_kunit.h"

#define GPT_T_PAGES	64
#define PG(n)		((u64)(n) << 12)
#define E_P		BIT_ULL(0)
#define E_RW		BIT_ULL(1)
#define E_PS		BIT_ULL(7)
#define E_NX		BIT_ULL(63)
#define E_ADDR		GENMASK_ULL(51, 12)
#define SZ_4K_ULL	BIT_ULL(12)
#define SZ_2M_ULL	BIT_ULL(21)
#define SZ_1G_ULL	BIT_ULL(30)

struct visit {
	u64 gva;
	u64 gpa;
	u64 size;
};

struct visits {
	struct visit v[32];
	u32 nr;
	u32 calls;
	u32 stop_at;		/* return 7 at this call (1-based), 0: never */
};

struct gpt_tctx {
	struct kunit *test;
	u8 *mem;
	u32 reads;		/* reader calls */
	u32 next;		/* next free page for tables */
	u64 root;		/* gpa of the top table */
	u32 top;
	struct kvmmig_gpt w;
	struct visits vs;	/* the range walks' record */
};

static int gpt_t_read(void *ctx, u64 gpa, void *buf, u32 len)
{
	struct gpt_tctx *c = ctx;

	c->reads++;
	/* The reader contract: 8..128 bytes, never across a page. */
	if (len < 8 || len > 128 || (gpa & 4095) + len > 4096)
		KUNIT_FAIL(c->test, "read of %u bytes at %llx", len, gpa);
	if (gpa >= PG(GPT_T_PAGES) || len > PG(GPT_T_PAGES) - gpa)
		return -EFAULT;
	memcpy(buf, c->mem + gpa, len);
	return 0;
}

static int gpt_t_init(struct kunit *test)
{
	struct gpt_tctx *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->mem = kvzalloc(PG(GPT_T_PAGES), GFP_KERNEL);
	if (!c->mem)
		return -ENOMEM;
	c->test = test;
	test->priv = c;
	return 0;
}

static void gpt_t_exit(struct kunit *test)
{
	struct gpt_tctx *c = test->priv;

	kvfree(c->mem);
}

static u64 get_e(struct gpt_tctx *c, u64 addr)
{
	return le64_to_cpu(*(__le64 *)(c->mem + addr));
}

static void put_e(struct gpt_tctx *c, u64 addr, u64 val)
{
	*(__le64 *)(c->mem + addr) = cpu_to_le64(val);
}

/*
 * A fresh address space of @mode: its top table at page 1 (PAE: at byte
 * 0x60 of page 1), with junk in CR3's ignored bits; tables from page 2 on.
 */
static struct gpt_tctx *setup(struct kunit *test, u32 mode)
{
	struct gpt_tctx *c = test->priv;
	u64 cr3;

	memset(c->mem, 0, PG(GPT_T_PAGES));
	c->reads = 0;
	c->next = 2;
	if (mode == KVMMIG_GPT_PAE) {
		c->root = PG(1) + 0x60;
		cr3 = c->root | 0x18 | BIT_ULL(40);	/* PWT, PCD, junk */
		c->top = 3;
	} else {
		c->root = PG(1);
		cr3 = c->root | 0x5a5 | BIT_ULL(63);	/* PCID, NOFLUSH */
		c->top = mode == KVMMIG_GPT_LONG5 ? 5 : 4;
	}
	KUNIT_ASSERT_EQ(test, kvmmig_gpt_init(&c->w, mode, cr3, 0, gpt_t_read,
					      c), 0);
	return c;
}

static u32 t_index(struct gpt_tctx *c, u64 gva, u32 level)
{
	u32 n = (c->top == 3 && level == 3) ? 4 : 512;

	return (gva >> (12 + 9 * (level - 1))) & (n - 1);
}

/*
 * Map @gva to @gpa with a leaf at @leaf_level (1: 4 KiB, 2: 2 MiB, 3:
 * 1 GiB), making the tables on the way.  Return: the leaf entry's gpa.
 */
static u64 map(struct gpt_tctx *c, u64 gva, u64 gpa, u32 leaf_level)
{
	u64 table = c->root, addr;
	u32 lvl;

	for (lvl = c->top; lvl > leaf_level; lvl--) {
		u64 e;

		addr = table + 8 * t_index(c, gva, lvl);
		e = get_e(c, addr);
		if (!(e & E_P)) {
			KUNIT_ASSERT_LT(c->test, c->next, GPT_T_PAGES);
			e = PG(c->next++) | E_P | E_RW;
			put_e(c, addr, e);
		}
		table = e & E_ADDR;
	}
	addr = table + 8 * t_index(c, gva, leaf_level);
	put_e(c, addr, gpa | E_P | E_RW | (leaf_level > 1 ? E_PS : 0));
	return addr;
}

/* The gpa of the entry of @level on @gva's path (all upper ones present). */
static u64 entry_addr(struct gpt_tctx *c, u64 gva, u32 level)
{
	u64 table = c->root;
	u32 lvl;

	for (lvl = c->top; lvl > level; lvl--)
		table = get_e(c, table + 8 * t_index(c, gva, lvl)) & E_ADDR;
	return table + 8 * t_index(c, gva, level);
}

static void expect_gpa(struct kunit *test, struct gpt_tctx *c, u64 gva,
		       u64 want, u32 want_level)
{
	u64 gpa = 0;
	u32 level = 0;
	int ret;

	ret = kvmmig_gpt_translate(&c->w, gva, &gpa, &level);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "gva %llx", gva);
	KUNIT_EXPECT_EQ_MSG(test, gpa, want, "gva %llx", gva);
	KUNIT_EXPECT_EQ_MSG(test, level, want_level, "gva %llx", gva);
}

static int translate_err(struct gpt_tctx *c, u64 gva)
{
	u64 gpa;

	return kvmmig_gpt_translate(&c->w, gva, &gpa, NULL);
}

static void gpt_test_long4(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG4);
	u64 leaf, pde;

	map(c, 0x0000123456789000ULL, 0xfedcba000ULL, 1);
	expect_gpa(test, c, 0x0000123456789abcULL, 0xfedcbaabcULL, 1);
	map(c, 0xffff888000001000ULL, 0x2000, 1);
	expect_gpa(test, c, 0xffff888000001fffULL, 0x2fff, 1);
	expect_gpa(test, c, 0xffff888000001000ULL, 0x2000, 1);

	/* NX, protection keys, software bits 62:52 and 11:9, G, A, D. */
	leaf = map(c, 0x7000, 0x31000, 1);
	put_e(c, leaf, 0x31000 | E_NX | GENMASK_ULL(62, 52) | 0xfff);
	expect_gpa(test, c, 0x7010, 0x31010, 1);

	/* Bits at and above a MAXPHYADDR of 40 are masked, in tables too. */
	c->w.maxphyaddr = 40;
	put_e(c, leaf, 0x31000 | BIT_ULL(45) | BIT_ULL(40) | E_P);
	pde = entry_addr(c, 0x7000, 2);
	put_e(c, pde, get_e(c, pde) | E_NX | BIT_ULL(62) | BIT_ULL(47));
	expect_gpa(test, c, 0x7010, 0x31010, 1);
	c->w.maxphyaddr = 52;
	KUNIT_EXPECT_EQ(test, translate_err(c, 0x7010), -EFAULT);
}

static void gpt_test_long5(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG5);
	struct kvmmig_gpt w4;
	u64 gpa;

	map(c, 0x00abcdef12345000ULL, 0x123000, 1);
	expect_gpa(test, c, 0x00abcdef12345678ULL, 0x123678, 1);
	map(c, 0xff00000000000000ULL, 0x5000, 1);
	expect_gpa(test, c, 0xff00000000000042ULL, 0x5042, 1);
	KUNIT_EXPECT_EQ(test, translate_err(c, 0x0100000000000000ULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, translate_err(c, 0xfeffffffffffffffULL), -EINVAL);

	/* 0x00ab... is not canonical with 4 levels. */
	w4 = c->w;
	w4.mode = KVMMIG_GPT_LONG4;
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_translate(&w4, 0x00abcdef12345678ULL,
						   &gpa, NULL), -EINVAL);

	/* PML5E[0]'s PML4 is a 4-level address space of its own. */
	map(c, 0x00007ffffffff000ULL, 0x77000, 1);
	expect_gpa(test, c, 0x00007ffffffff008ULL, 0x77008, 1);
	w4.cr3 = get_e(c, c->root) & E_ADDR;
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_translate(&w4, 0x00007ffffffff008ULL,
						   &gpa, NULL), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x77008ULL);
}

static void gpt_test_pae(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_PAE);
	u64 pdpte;

	map(c, 0x80403000, 0x1234000, 1);
	expect_gpa(test, c, 0x80403123, 0x1234123, 1);
	map(c, 0xc0200000, 0x40000000, 2);
	expect_gpa(test, c, 0xc02abcde, 0x400abcde, 2);
	/* NX (with EFER.NXE) and bits above 32 in a PAE entry. */
	map(c, 0x00001000, 0x3456789000ULL | E_NX, 1);
	expect_gpa(test, c, 0x00001fff, 0x3456789fffULL, 1);

	/* Bit 7 of a PDPTE is reserved: ignored, the entry is a table. */
	pdpte = entry_addr(c, 0x80403000, 3);
	put_e(c, pdpte, get_e(c, pdpte) | E_PS);
	expect_gpa(test, c, 0x80403123, 0x1234123, 1);

	KUNIT_EXPECT_EQ(test, translate_err(c, 0x40000000), -ENOENT);
	KUNIT_EXPECT_EQ(test, translate_err(c, 0x100000000ULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, translate_err(c, 0xffffffff80403000ULL),
			-EINVAL);
}

static void gpt_test_large(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG4);
	u64 pde, pml4e;

	/* 2 MiB, with the PAT bit (12) set: not an address bit there. */
	pde = map(c, 0x00007f0000200000ULL, 0x80200000, 2);
	put_e(c, pde, get_e(c, pde) | BIT_ULL(12));
	expect_gpa(test, c, 0x00007f00002abcdeULL, 0x802abcde, 2);
	expect_gpa(test, c, 0x00007f00003fffffULL, 0x803fffff, 2);

	/* 1 GiB at the PDPT, with PAT (12) and bits 29:13 set: ignored. */
	pde = map(c, 0x00007e8040000000ULL, 0x1c0000000ULL, 3);
	put_e(c, pde, get_e(c, pde) | GENMASK_ULL(29, 12));
	expect_gpa(test, c, 0x00007e8063456789ULL, 0x1e3456789ULL, 3);

	/* PS in a PML4E is reserved: ignored, the entry is a table. */
	map(c, 0x0000100000000000ULL, 0x9000, 1);
	pml4e = entry_addr(c, 0x0000100000000000ULL, 4);
	put_e(c, pml4e, get_e(c, pml4e) | E_PS);
	expect_gpa(test, c, 0x0000100000000010ULL, 0x9010, 1);
}

static void gpt_test_not_present(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG5);
	u64 gva = 0x0012345678901000ULL;
	u32 lvl;

	map(c, gva, 0x4000, 1);
	expect_gpa(test, c, gva, 0x4000, 1);
	for (lvl = 1; lvl <= 5; lvl++) {
		u64 addr = entry_addr(c, gva, lvl);
		u64 e = get_e(c, addr);

		put_e(c, addr, e & ~E_P);
		KUNIT_EXPECT_EQ_MSG(test, translate_err(c, gva), -ENOENT,
				    "level %u", lvl);
		/* Everything but P. */
		put_e(c, addr, ~E_P);
		KUNIT_EXPECT_EQ_MSG(test, translate_err(c, gva), -ENOENT,
				    "level %u", lvl);
		put_e(c, addr, e);
	}
	expect_gpa(test, c, gva, 0x4000, 1);
	/* A neighbour in the same PT, never mapped. */
	KUNIT_EXPECT_EQ(test, translate_err(c, gva + 4096), -ENOENT);
}

static void gpt_test_noncanonical(struct kunit *test)
{
	static const u64 bad4[] = {
		0x0000800000000000ULL, 0xffff7fffffffffffULL,
		0x8000000000000000ULL, 0x00ff000000000000ULL,
	};
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG4);
	u64 out[4];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad4); i++) {
		KUNIT_EXPECT_EQ(test, translate_err(c, bad4[i]), -EINVAL);
		KUNIT_EXPECT_FALSE(test, kvmmig_gpt_canonical(&c->w, bad4[i]));
		KUNIT_EXPECT_EQ(test, kvmmig_gpt_neighbours(&c->w, bad4[i], 2,
							    out, 4), -EINVAL);
	}
	KUNIT_EXPECT_TRUE(test, kvmmig_gpt_canonical(&c->w,
						     0x00007fffffffffffULL));
	KUNIT_EXPECT_TRUE(test, kvmmig_gpt_canonical(&c->w,
						     0xffff800000000000ULL));
	KUNIT_EXPECT_EQ(test, translate_err(c, 0x00007fffffffffffULL), -ENOENT);

	c = setup(test, KVMMIG_GPT_LONG5);
	KUNIT_EXPECT_EQ(test, translate_err(c, 0x0000800000000000ULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, translate_err(c, 0x0100000000000000ULL), -EINVAL);
	KUNIT_EXPECT_TRUE(test, kvmmig_gpt_canonical(&c->w,
						     0xff00000000000000ULL));
}

static void gpt_test_outside(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG4);
	u64 gva = 0x0000200000000000ULL, out[4], addr;

	map(c, gva, 0x4000, 1);
	/* A PDE pointing past guest memory. */
	addr = entry_addr(c, gva, 2);
	put_e(c, addr, PG(GPT_T_PAGES) | E_P);
	KUNIT_EXPECT_EQ(test, translate_err(c, gva), -EFAULT);
	put_e(c, addr, 0x000ffffffffff000ULL | E_P);
	KUNIT_EXPECT_EQ(test, translate_err(c, gva), -EFAULT);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_neighbours(&c->w, gva, 2, out, 4),
			-EFAULT);
	/* A leaf pointing past guest memory is just a mapping. */
	put_e(c, addr, 0x000fffffffe00000ULL | E_P | E_PS);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_neighbours(&c->w, gva, 1, out, 4), 2);
	KUNIT_EXPECT_EQ(test, out[0], 0x000fffffffe00000ULL);
	/* CR3 past guest memory. */
	c->w.cr3 = PG(1000);
	KUNIT_EXPECT_EQ(test, translate_err(c, gva), -EFAULT);
}

static int record(void *arg, u64 gva, u64 gpa, u64 size)
{
	struct visits *vs = arg;

	vs->calls++;
	if (vs->nr < ARRAY_SIZE(vs->v))
		vs->v[vs->nr++] = (struct visit){ gva, gpa, size };
	return vs->calls == vs->stop_at ? 7 : 0;
}

static void expect_visits(struct kunit *test, const struct visits *vs,
			  const struct visit *want, u32 n)
{
	u32 i;

	KUNIT_EXPECT_EQ(test, vs->calls, n);
	for (i = 0; i < min(n, vs->nr); i++) {
		KUNIT_EXPECT_EQ_MSG(test, vs->v[i].gva, want[i].gva, "#%u", i);
		KUNIT_EXPECT_EQ_MSG(test, vs->v[i].gpa, want[i].gpa, "#%u", i);
		KUNIT_EXPECT_EQ_MSG(test, vs->v[i].size, want[i].size, "#%u",
				    i);
	}
}

static int walk(struct gpt_tctx *c, u64 start, u64 last, struct visits *vs,
		u32 max_entries)
{
	memset(vs, 0, sizeof(*vs));
	return kvmmig_gpt_walk_range(&c->w, start, last, record, vs,
				     max_entries);
}

static void gpt_test_walk_order(struct kunit *test)
{
	static const struct visit all[] = {
		{ 0x1000, 0x5000, SZ_4K_ULL },
		{ 0x3000, 0x7000, SZ_4K_ULL },
		{ 0x40000000, 0x80000000, SZ_1G_ULL },
		{ 0x00007fffffe00000ULL, 0x200000, SZ_2M_ULL },
		{ 0xffff800000000000ULL, 0x9000, SZ_4K_ULL },
		{ 0xfffffffffffff000ULL, 0xa000, SZ_4K_ULL },
	};
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG4);
	struct visits *vs = &c->vs;
	u64 start, next;
	u32 rounds;
	int i, ret;

	/* Mapped in a scrambled order: the walk sorts by gva. */
	for (i = ARRAY_SIZE(all) - 1; i >= 0; i--)
		map(c, all[i].gva, all[i].gpa, all[i].size == SZ_4K_ULL ? 1 :
		    all[i].size == SZ_2M_ULL ? 2 : 3);

	c->reads = 0;
	KUNIT_EXPECT_EQ(test, walk(c, 0, U64_MAX, vs, 100000), 0);
	expect_visits(test, vs, all, ARRAY_SIZE(all));
	/*
	 * Non-present subtrees are skipped at their level: 12 tables of 512
	 * entries hold all of this, each read once, 16 entries at a time.
	 */
	KUNIT_EXPECT_EQ(test, c->reads, 12U * 512 / GPT_BATCH);

	/* A sub-range; a large page is reported whole even if cut. */
	KUNIT_EXPECT_EQ(test, walk(c, 0x2000, 0x40000fff, vs, 100000), 0);
	expect_visits(test, vs, all + 1, 2);
	KUNIT_EXPECT_EQ(test, walk(c, 0x7fff0000, 0x7fff0000, vs, 100000), 0);
	expect_visits(test, vs, all + 2, 1);
	KUNIT_EXPECT_EQ(test, walk(c, 0x3001, 0x3001, vs, 100000), 0);
	expect_visits(test, vs, all + 1, 1);
	KUNIT_EXPECT_EQ(test, walk(c, 0x4000, 0x3fffffff, vs, 100000), 0);
	expect_visits(test, vs, all, 0);

	/* Only the hole: nothing.  Across the hole: both halves. */
	KUNIT_EXPECT_EQ(test, walk(c, 0x0000800000000000ULL,
				   0xffff7fffffffffffULL, vs, 100000), 0);
	expect_visits(test, vs, all, 0);
	KUNIT_EXPECT_EQ(test, walk(c, 0x00007fffffe00000ULL,
				   0xffff800000000fffULL, vs, 100000), 0);
	expect_visits(test, vs, all + 3, 2);
	KUNIT_EXPECT_EQ(test, walk(c, 0x0000900000000000ULL, U64_MAX, vs,
				   100000), 0);
	expect_visits(test, vs, all + 4, 2);

	/* In chunks of 5 entries, resumed at next: the same, in order. */
	memset(vs, 0, sizeof(*vs));
	start = 0;
	rounds = 0;
	do {
		ret = kvmmig_gpt_walk_range_next(&c->w, start, U64_MAX, record,
						 vs, KVMMIG_GPT_MAX_LEVELS,
						 &next);
		if (ret == -E2BIG) {
			KUNIT_ASSERT_GT(test, next, start);
			start = next;
		}
	} while (ret == -E2BIG && ++rounds < 20000);
	KUNIT_EXPECT_EQ(test, ret, 0);
	expect_visits(test, vs, all, ARRAY_SIZE(all));

	/* fn ends the walk. */
	memset(vs, 0, sizeof(*vs));
	vs->stop_at = 2;
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_walk_range(&c->w, 0, U64_MAX, record,
						    vs, 100000), 7);
	expect_visits(test, vs, all, 2);

	/* Bad arguments. */
	KUNIT_EXPECT_EQ(test, walk(c, 0x2000, 0x1fff, vs, 100), -EINVAL);
	KUNIT_EXPECT_EQ(test, walk(c, 0, U64_MAX, vs, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_walk_range(&c->w, 0, U64_MAX, NULL,
						    NULL, 100), -EINVAL);
}

static void gpt_test_max_entries(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG4);
	struct visits *vs = &c->vs;

	map(c, 0, 0x5000, 1);
	/* Whole space: PML4, PDPT, PD and PT, 512 entries each. */
	c->reads = 0;
	KUNIT_EXPECT_EQ(test, walk(c, 0, U64_MAX, vs, 2048), 0);
	KUNIT_EXPECT_EQ(test, vs->calls, 1U);
	KUNIT_EXPECT_EQ(test, c->reads, 4U * 512 / GPT_BATCH);
	KUNIT_EXPECT_EQ(test, walk(c, 0, U64_MAX, vs, 2047), -E2BIG);
	KUNIT_EXPECT_EQ(test, vs->calls, 1U);
	KUNIT_EXPECT_EQ(test, walk(c, 0, U64_MAX, vs, 3), -E2BIG);
	KUNIT_EXPECT_EQ(test, vs->calls, 0U);
	/* One page: one entry per level. */
	KUNIT_EXPECT_EQ(test, walk(c, 0, 0xfff, vs, 4), 0);
	KUNIT_EXPECT_EQ(test, vs->calls, 1U);
	KUNIT_EXPECT_EQ(test, walk(c, 0, 0xfff, vs, 3), -E2BIG);

	/* PAE: 4 PDPTEs, then a PD and a PT at each end of the 4 GiB. */
	c = setup(test, KVMMIG_GPT_PAE);
	map(c, 0x1000, 0x11000, 1);
	map(c, 0xfffff000, 0x22000, 1);
	KUNIT_EXPECT_EQ(test, walk(c, 0, U64_MAX, vs, 4 + 4 * 512), 0);
	KUNIT_EXPECT_EQ(test, vs->calls, 2U);
	KUNIT_EXPECT_EQ(test, vs->v[0].gva, 0x1000ULL);
	KUNIT_EXPECT_EQ(test, vs->v[1].gva, 0xfffff000ULL);
	KUNIT_EXPECT_EQ(test, vs->v[1].gpa, 0x22000ULL);
	KUNIT_EXPECT_EQ(test, walk(c, 0, U64_MAX, vs, 3 + 4 * 512), -E2BIG);
	KUNIT_EXPECT_EQ(test, walk(c, 0x100000000ULL, U64_MAX, vs, 1), 0);
	KUNIT_EXPECT_EQ(test, vs->calls, 0U);
}

static void gpt_test_cache(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG4);
	u64 base = 0x00007f1234400000ULL;
	struct visits *vs = &c->vs;
	u32 i;

	for (i = 0; i < 512; i++)
		map(c, base + PG(i), PG(1000 + i), 1);
	c->reads = 0;
	KUNIT_EXPECT_EQ(test, walk(c, base, base + SZ_2M_ULL - 1, vs, 1000),
			0);
	KUNIT_EXPECT_EQ(test, vs->calls, 512U);
	KUNIT_EXPECT_EQ(test, vs->v[31].gpa, PG(1031));
	/* 3 upper entries, then 512 PTEs 16 at a time. */
	KUNIT_EXPECT_EQ(test, c->reads, 3U + 512 / GPT_BATCH);
	KUNIT_EXPECT_EQ(test, walk(c, base, base + SZ_2M_ULL - 1, vs, 514),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, vs->calls, 511U);
}

static int count_calls(void *arg, u64 gva, u64 gpa, u64 size)
{
	(*(u64 *)arg)++;
	return 0;
}

static void gpt_test_loop(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG4);
	u64 gpa, calls, next, out[8];
	u32 level, i;

	/* PDE[0] points back at the PML4: read as a PT, boundedly. */
	map(c, 0, 0x5000, 1);
	put_e(c, entry_addr(c, 0, 2), c->root | E_P | E_RW);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_translate(&c->w, 0x10, &gpa, &level),
			0);
	/* The PML4's entry 0 (the PDPT's address) taken as a PTE. */
	KUNIT_EXPECT_EQ(test, gpa, (get_e(c, c->root) & E_ADDR) | 0x10);
	KUNIT_EXPECT_EQ(test, level, 1U);
	calls = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_walk_range(&c->w, 0, U64_MAX,
						    count_calls, &calls, 4096),
			0);
	KUNIT_EXPECT_EQ(test, calls, 1ULL);	/* only PML4E[0] is present */

	/*
	 * One table whose 512 entries all point at itself, as CR3: 512^4
	 * present entries.  The walk stops after max_entries.
	 */
	for (i = 0; i < 512; i++)
		put_e(c, c->root + 8 * i, c->root | E_P | E_RW);
	calls = 0;
	c->reads = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_walk_range(&c->w, 0, U64_MAX,
						    count_calls, &calls,
						    100000), -E2BIG);
	KUNIT_EXPECT_GT(test, calls, 90000ULL);
	KUNIT_EXPECT_LT(test, calls, 100000ULL);
	KUNIT_EXPECT_LE(test, c->reads, 100000U);
	/* Resumable: it stopped right after the last page reported. */
	calls = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_walk_range_next(&c->w, 0, U64_MAX,
							 count_calls, &calls,
							 100000, &next),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, next, calls << 12);
	/* Every page of a window maps the same GPA: listed once. */
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_neighbours(&c->w, 0x7f0000005000ULL,
						    4, out, 8), 1);
	KUNIT_EXPECT_EQ(test, out[0], c->root);
	expect_gpa(test, c, 0xffffffffffffffffULL, c->root | 0xfff, 1);
}

static void expect_out(struct kunit *test, const u64 *out, int n,
		       const u64 *want, int want_n)
{
	int i;

	KUNIT_EXPECT_EQ(test, n, want_n);
	for (i = 0; i < min(n, want_n); i++)
		KUNIT_EXPECT_EQ_MSG(test, out[i], want[i], "#%d", i);
}

#define NB_BASE	0x00007f0000010000ULL
#define NB_GPA(k)	PG(100 + (k))

static void gpt_test_neighbours(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG4);
	u64 out[32];
	u32 k;
	int n;

	/* Pages 0..15 of NB_BASE, but 3 and 6. */
	for (k = 0; k < 16; k++)
		if (k != 3 && k != 6)
			map(c, NB_BASE + PG(k), NB_GPA(k), 1);

	/* Around page 5 (any byte of it), 3 each side: 2..8. */
	{
		const u64 want[] = { NB_GPA(5), NB_GPA(4), NB_GPA(7),
				     NB_GPA(2), NB_GPA(8) };

		n = kvmmig_gpt_neighbours(&c->w, NB_BASE + PG(5) + 0x123, 3,
					  out, 32);
		expect_out(test, out, n, want, ARRAY_SIZE(want));
		n = kvmmig_gpt_neighbours(&c->w, NB_BASE + PG(5), 3, out, 3);
		expect_out(test, out, n, want, 3);
	}
	/* Around the absent page 3: itself is not listed. */
	{
		const u64 want[] = { NB_GPA(2), NB_GPA(4), NB_GPA(1),
				     NB_GPA(5), NB_GPA(0) };

		n = kvmmig_gpt_neighbours(&c->w, NB_BASE + PG(3), 3, out, 32);
		expect_out(test, out, n, want, ARRAY_SIZE(want));
	}
	n = kvmmig_gpt_neighbours(&c->w, NB_BASE + PG(9), 0, out, 32);
	expect_out(test, out, n, (const u64[]){ NB_GPA(9) }, 1);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_neighbours(&c->w, NB_BASE, 3, out, 0),
			0);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_neighbours(&c->w, NB_BASE,
						    KVMMIG_GPT_MAX_WINDOW + 1,
						    out, 32), -EINVAL);

	/* Pages 9 and 10 map page 5's GPA: listed once, at the nearest. */
	map(c, NB_BASE + PG(9), NB_GPA(5), 1);
	map(c, NB_BASE + PG(10), NB_GPA(5), 1);
	{
		const u64 want[] = { NB_GPA(7), NB_GPA(8), NB_GPA(5),
				     NB_GPA(4) };

		n = kvmmig_gpt_neighbours(&c->w, NB_BASE + PG(7), 3, out, 32);
		expect_out(test, out, n, want, ARRAY_SIZE(want));
	}

	/* A 2 MiB page counts page by page; the PT before it is empty. */
	map(c, 0x00007f0000200000ULL, 0x40000000, 2);
	{
		const u64 want[] = { 0x40000000, 0x40001000, 0x40002000 };

		n = kvmmig_gpt_neighbours(&c->w, 0x00007f0000200000ULL, 2, out,
					  32);
		expect_out(test, out, n, want, ARRAY_SIZE(want));
	}
	{
		const u64 want[] = { 0x4000a000, 0x40009000, 0x4000b000 };

		n = kvmmig_gpt_neighbours(&c->w, 0x00007f000020a000ULL, 1, out,
					  32);
		expect_out(test, out, n, want, ARRAY_SIZE(want));
	}

	/* The ends of the address space and of the low half. */
	map(c, 0, 0x1000, 1);
	map(c, 0x2000, 0x3000, 1);
	{
		const u64 want[] = { 0x1000, 0x3000 };

		n = kvmmig_gpt_neighbours(&c->w, 0, 4, out, 32);
		expect_out(test, out, n, want, ARRAY_SIZE(want));
	}
	map(c, 0xfffffffffffff000ULL, 0xa000, 1);
	map(c, 0xffffffffffffd000ULL, 0xb000, 1);
	map(c, 0xffff800000000000ULL, 0xc000, 1);
	map(c, 0x00007ffffffff000ULL, 0xd000, 1);
	{
		const u64 want[] = { 0xa000, 0xb000 };

		n = kvmmig_gpt_neighbours(&c->w, 0xfffffffffffff000ULL, 4, out,
					  32);
		expect_out(test, out, n, want, ARRAY_SIZE(want));
	}
	n = kvmmig_gpt_neighbours(&c->w, 0xffff800000000000ULL, 4, out, 32);
	expect_out(test, out, n, (const u64[]){ 0xc000 }, 1);
	n = kvmmig_gpt_neighbours(&c->w, 0x00007ffffffff000ULL, 4, out, 32);
	expect_out(test, out, n, (const u64[]){ 0xd000 }, 1);
}

/*
 * The prefetch case: 32 pages contiguous in guest-virtual memory, scattered in
 * guest-physical memory.  The guest-virtual neighbours of a page are the
 * pages a program walks next; its guest-physical neighbours are not.
 */
static void gpt_test_scattered(struct kunit *test)
{
	struct gpt_tctx *c = setup(test, KVMMIG_GPT_LONG4);
	u64 base = 0x0000555500000000ULL, out[16], want[9];
	u32 perm[32], k;
	int n, d, i = 0;

	for (k = 0; k < 32; k++) {
		perm[k] = 200 + (k * 13 + 7) % 32;	/* a permutation */
		map(c, base + PG(k), PG(perm[k]), 1);
	}
	want[i++] = PG(perm[10]);
	for (d = 1; d <= 4; d++) {
		want[i++] = PG(perm[10 - d]);
		want[i++] = PG(perm[10 + d]);
	}
	n = kvmmig_gpt_neighbours(&c->w, base + PG(10) + 0x800, 4, out, 16);
	expect_out(test, out, n, want, ARRAY_SIZE(want));
	/* None of them is a guest-physical neighbour of page 10's GPA. */
	for (i = 1; i < n; i++) {
		u64 dist = out[i] > out[0] ? out[i] - out[0] : out[0] - out[i];

		KUNIT_EXPECT_GT_MSG(test, dist, PG(1), "#%d", i);
	}
}

static void gpt_test_modes(struct kunit *test)
{
	struct kvmmig_gpt w;
	u64 cr0 = BIT_ULL(31) | BIT_ULL(0), gpa;
	u64 efer = BIT_ULL(10) | BIT_ULL(8);

	KUNIT_EXPECT_EQ(test, kvmmig_gpt_mode_from_regs(cr0, BIT_ULL(5), efer),
			(u32)KVMMIG_GPT_LONG4);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_mode_from_regs(cr0, BIT_ULL(5) |
							BIT_ULL(12), efer),
			(u32)KVMMIG_GPT_LONG5);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_mode_from_regs(cr0, BIT_ULL(5), 0),
			(u32)KVMMIG_GPT_PAE);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_mode_from_regs(cr0, 0, 0), 0U);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_mode_from_regs(BIT_ULL(0), BIT_ULL(5),
							efer), 0U);

	KUNIT_EXPECT_EQ(test, kvmmig_gpt_init(&w, 0, 0, 0, gpt_t_read, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_translate(&w, 0, &gpa, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_init(&w, 4, 0, 0, gpt_t_read, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_init(&w, KVMMIG_GPT_LONG4, 0, 53,
					      gpt_t_read, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_init(&w, KVMMIG_GPT_LONG4, 0, 31,
					      gpt_t_read, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_init(&w, KVMMIG_GPT_LONG4, 0, 0,
					      NULL, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_walk_range(&w, 0, 1, count_calls,
						    &gpa, 10), -EINVAL);
	KUNIT_EXPECT_FALSE(test, kvmmig_gpt_canonical(&w, 0));
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_init(&w, KVMMIG_GPT_LONG5, 0, 36,
					      gpt_t_read, NULL), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_gpt_init(&w, KVMMIG_GPT_PAE, 0, 0,
					      gpt_t_read, NULL), 0);
}

static struct kunit_case kvmmig_guest_pt_cases[] = {
	KUNIT_CASE(gpt_test_long4),
	KUNIT_CASE(gpt_test_long5),
	KUNIT_CASE(gpt_test_pae),
	KUNIT_CASE(gpt_test_large),
	KUNIT_CASE(gpt_test_not_present),
	KUNIT_CASE(gpt_test_noncanonical),
	KUNIT_CASE(gpt_test_outside),
	KUNIT_CASE(gpt_test_walk_order),
	KUNIT_CASE(gpt_test_max_entries),
	KUNIT_CASE(gpt_test_cache),
	KUNIT_CASE(gpt_test_loop),
	KUNIT_CASE(gpt_test_neighbours),
	KUNIT_CASE(gpt_test_scattered),
	KUNIT_CASE(gpt_test_modes),
	{}
};

struct kunit_suite kvmmig_guest_pt_suite = {
	.name = "kvmmig_guest_pt",
	.init = gpt_t_init,
	.exit = gpt_t_exit,
	.test_cases = kvmmig_guest_pt_cases,
};
