#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "restore.h"
#include "sha256.h"
#include "toolset-test.h"

/* ---- ntfsundelete --scan (captured from ntfs-3g 2022.10.3 on a 64 MiB mkntfs -Q volume) ---- */

static const char ntfs_scan[] =
	"Inode    Flags  %age     Date    Time       Size  Filename\n"
	"-----------------------------------------------------------------------\n"
	"65       FN..   100%  2026-12-07 10:21    300000  Report.pdf\n"
	"66       FN..   100%  2026-12-07 10:21    300000  Budget 2026.pdf\n"
	"\n"
	"Files with potentially recoverable content: 2\n";

START_TEST(ntfs_lines)
{
	struct restore_file f;
	int n = 0;
	for (const char *l = ntfs_scan; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char line[256];
		size_t len = strcspn(l, "\n");
		memcpy(line, l, len);
		line[len] = '\0';
		if (restore_ntfs_parse_line(line, &f)) {
			n++;
		}
	}
	ck_assert_int_eq(n, 2);
	ck_assert(restore_ntfs_parse_line("66       FN..   100%  2026-12-07 10:21    300000  "
					  "Budget 2026.pdf", &f));
	ck_assert_str_eq(f.name, "Budget 2026.pdf"); /* spaces kept */
	ck_assert_str_eq(f.path, "/?/Budget 2026.pdf");
	ck_assert_uint_eq(f.id, 66);
	ck_assert_uint_eq(f.size, 300000);
	ck_assert_int_eq(f.percent, 100);
	ck_assert_int_eq(f.modified, 1796638860);

	/* hostile and odd lines */
	ck_assert(!restore_ntfs_parse_line("16       F...     0%  2026-12-07 10:21         0  <none>",
					   &f));
	ck_assert(!restore_ntfs_parse_line("65       FN..   250%  2026-12-07 10:21  1  x", &f));
	ck_assert(!restore_ntfs_parse_line("65       FN..   100%  2026-12-07 10:21  1  ", &f));
	ck_assert(!restore_ntfs_parse_line("65       FN..   100%  2026-12-07", &f));
	ck_assert(!restore_ntfs_parse_line("", &f));
	ck_assert(restore_ntfs_parse_line("65 FN.. 100% 2026-12-07 10:21 1 \x1b[31mred\xff", &f));
	ck_assert_str_eq(f.name, "\x1b[31mred\xff"); /* raw; sanitized where it is shown */
	char *huge = malloc(4096);
	memset(huge, 'a', 4095);
	huge[4095] = '\0';
	memcpy(huge, "65 FN.. 100% 2026-12-07 10:21 1 ", 32);
	ck_assert(!restore_ntfs_parse_line(huge, &f)); /* a name longer than any NTFS name */
	free(huge);
}
END_TEST

/* captured: ntfsundelete --scan --verbose --parent, one file at the root, one in a/b/c */
static const char ntfs_verbose[] =
	"MFT Record 67\n"
	"Type: File\n"
	"Date: 2026-12-07 10:33\n"
	"Filename: (0) top.txt\n"
	"File Flags: <none>\n"
	"Parent: .\n"
	"Size alloc: 8\n"
	"________________________________________\n"
	"\n"
	"MFT Record 68\n"
	"Filename: (0) deep.txt\n"
	"Parent: c\n"
	"MFT Record 69\n"
	"Parent: ../../etc\n"
	"Parent: \x1b[2J\n";

START_TEST(ntfs_parents)
{
	struct restore_list l = { 0 };
	l.files = calloc(3, sizeof(*l.files));
	l.n = l.cap = 3;
	const char *names[] = { "top.txt", "deep.txt", "evil.txt" };
	for (int i = 0; i < 3; i++) {
		l.files[i].id = 67 + (uint64_t)i;
		strcpy(l.files[i].name, names[i]);
		sprintf(l.files[i].path, "/?/%s", names[i]);
	}
	restore_ntfs_apply_parents(ntfs_verbose, &l);
	ck_assert_str_eq(l.files[0].path, "/top.txt");
	ck_assert_str_eq(l.files[1].path, "/?/c/deep.txt");
	ck_assert_str_eq(l.files[2].path, "/?/evil.txt"); /* a parent with '/' is not taken */
	restore_list_free(&l);
}
END_TEST

/* ---- ext4 directory blocks ---- */

struct names {
	int n;
	char got[8][256];
	uint32_t ino[8];
};

static void collect(void *data, uint32_t ino, const char *name, size_t len, uint8_t type)
{
	(void)len;
	(void)type;
	struct names *n = data;
	if (n->n < 8) {
		n->ino[n->n] = ino;
		strcpy(n->got[n->n++], name);
	}
}

static size_t put_entry(uint8_t *b, size_t off, uint32_t ino, uint16_t rec, const char *name,
			uint8_t type)
{
	b[off] = (uint8_t)ino;
	b[off + 1] = (uint8_t)(ino >> 8);
	b[off + 2] = (uint8_t)(ino >> 16);
	b[off + 3] = (uint8_t)(ino >> 24);
	b[off + 4] = (uint8_t)rec;
	b[off + 5] = (uint8_t)(rec >> 8);
	b[off + 6] = (uint8_t)strlen(name);
	b[off + 7] = type;
	memcpy(b + off + 8, name, strlen(name));
	return off + rec;
}

START_TEST(ext4_dir_block)
{
	/* the layout of a 1 KiB block with metadata_csum: ., .., a file, the checksum tail */
	uint8_t b[1024] = { 0 };
	size_t o = put_entry(b, 0, 13, 12, ".", 2);
	o = put_entry(b, o, 12, 12, "..", 2);
	o = put_entry(b, o, 14, 1024 - 24 - 12, "Quarterly report.pdf", 1);
	b[o + 4] = 12;
	b[o + 7] = 0xde; /* the tail: inode 0, rec_len 12, name_len 0, 0xDE */
	struct names n = { 0 };
	ck_assert_int_eq(restore_ext4_dir_entries(b, sizeof(b), collect, &n), 4);
	ck_assert_int_eq(n.n, 3);
	ck_assert_str_eq(n.got[2], "Quarterly report.pdf");
	ck_assert_uint_eq(n.ino[2], 14);

	/* hostile: rec_len 0, past the end, a name longer than its record, '/' in a name */
	uint8_t bad[64] = { 0 };
	put_entry(bad, 0, 5, 0, "x", 1);
	ck_assert_int_eq(restore_ext4_dir_entries(bad, sizeof(bad), collect, &n), -EINVAL);
	put_entry(bad, 0, 5, 200, "x", 1);
	ck_assert_int_eq(restore_ext4_dir_entries(bad, sizeof(bad), collect, &n), -EINVAL);
	put_entry(bad, 0, 5, 64, "x", 1);
	bad[6] = 250;
	ck_assert_int_eq(restore_ext4_dir_entries(bad, sizeof(bad), collect, &n), -EINVAL);
	memset(&n, 0, sizeof(n));
	put_entry(bad, 0, 5, 64, "../x", 1);
	ck_assert_int_eq(restore_ext4_dir_entries(bad, sizeof(bad), collect, &n), 1);
	ck_assert_int_eq(n.n, 0); /* not a name we would ever use */
	/* random data is not a directory */
	uint8_t rnd[1024];
	for (size_t i = 0; i < sizeof(rnd); i++) {
		rnd[i] = (uint8_t)(i * 7 + 3);
	}
	ck_assert_int_eq(restore_ext4_dir_entries(rnd, sizeof(rnd), collect, &n), -EINVAL);
	ck_assert_int_eq(restore_ext4_dir_entries(b, 7, collect, &n), -EINVAL); /* truncated */
}
END_TEST

START_TEST(ext4_extents)
{
	uint8_t ib[60] = { 0x0a, 0xf3, 1, 0, 4, 0, 0, 0 };
	/* one leaf extent: logical 0, 74 blocks at 0x1_0000_2000 */
	ib[12 + 4] = 74;
	ib[12 + 6] = 1;
	ib[12 + 8] = 0x00;
	ib[12 + 9] = 0x20;
	struct restore_extent e[4];
	int depth;
	ck_assert_int_eq(restore_ext4_inline_extents(ib, e, 4, &depth), 1);
	ck_assert_int_eq(depth, 0);
	ck_assert_uint_eq(e[0].len, 74);
	ck_assert_uint_eq(e[0].phys, 0x100002000ull);
	ck_assert(!e[0].unwritten);
	ib[12 + 5] = 0x80; /* len > 32768: unwritten */
	ck_assert_int_eq(restore_ext4_inline_extents(ib, e, 4, &depth), 1);
	ck_assert(e[0].unwritten);
	ck_assert_uint_eq(e[0].len, 74);
	ib[2] = 9; /* more entries than fit in an inode */
	ck_assert_int_eq(restore_ext4_inline_extents(ib, e, 4, &depth), -EINVAL);
	ib[2] = 1;
	ib[6] = 40; /* an absurd depth */
	ck_assert_int_eq(restore_ext4_inline_extents(ib, e, 4, &depth), -EINVAL);
	ib[0] = 0; /* no extent header (zeroed by the deletion) */
	ck_assert_int_eq(restore_ext4_inline_extents(ib, e, 4, &depth), -EINVAL);
}
END_TEST

START_TEST(jbd2_descriptor_tags)
{
	/* checksum v3 tags (16 bytes): the first with the journal UUID after it, the last flagged */
	uint8_t b[256] = { 0 };
	b[2] = 0x01; /* block 0x114 */
	b[3] = 0x14;
	memset(b + 16, 0xab, 16);
	b[32 + 3] = 0x02;             /* block 2 */
	b[32 + 7] = 0x02;             /* SAME_UUID */
	b[48 + 2] = 0x01;             /* block 0x126 */
	b[48 + 3] = 0x26;
	b[48 + 7] = 0x02 | 0x08;      /* SAME_UUID | LAST_TAG */
	b[64 + 3] = 0x99;             /* after the last tag: not read */
	uint64_t blocks[16];
	ck_assert_int_eq(restore_jbd2_tags(b, sizeof(b), 16, true, false, blocks, 16), 3);
	ck_assert_uint_eq(blocks[0], 0x114);
	ck_assert_uint_eq(blocks[1], 2);
	ck_assert_uint_eq(blocks[2], 0x126);
	/* no last tag: bounded by the buffer and by MAX */
	memset(b, 0, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i += 16) {
		b[i + 7] = 0x02;
	}
	ck_assert_int_eq(restore_jbd2_tags(b, sizeof(b), 16, true, false, blocks, 16), 16);
	ck_assert_int_eq(restore_jbd2_tags(b, sizeof(b), 16, true, false, blocks, 4), 4);
	ck_assert_int_eq(restore_jbd2_tags(b, 10, 16, true, false, blocks, 16), 0);
}
END_TEST

/* ---- FAT ---- */

START_TEST(fat_names)
{
	uint16_t s[] = { 'R', 'e', 'p', 0x00e9, 'r', 't', 0x4e2d, '.', 'p', 'd', 'f', 0, 0xffff };
	char out[64];
	restore_fat_long_name(s, 13, out, sizeof(out));
	ck_assert_str_eq(out, "Rep\xc3\xa9rt\xe4\xb8\xad.pdf");
	uint16_t evil[] = { 0x1b, '[', '2', 'J', '/', 0xd800, 'x' };
	restore_fat_long_name(evil, 7, out, sizeof(out));
	ck_assert_str_eq(out, "?[2J/?x");
	char safe[64];
	restore_safe_name(out, safe, sizeof(safe));
	ck_assert_str_eq(safe, "_[2J__x");
	restore_safe_name("..", safe, sizeof(safe));
	ck_assert_str_eq(safe, "restored-file");
	restore_safe_name("", safe, sizeof(safe));
	ck_assert_str_eq(safe, "restored-file");
	restore_safe_name("../../etc/passwd", safe, sizeof(safe));
	ck_assert_ptr_null(strchr(safe, '/'));
	ck_assert(safe[0] != '.');
	restore_safe_name("ok\xff\xfename.txt", safe, sizeof(safe));
	ck_assert_str_eq(safe, "ok__name.txt");
}
END_TEST

static void le16w(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* A 64 KiB FAT12 volume (512-byte clusters): a deleted "Report.pdf" (long name, 1000 bytes at
 * cluster 2) in the root, and a folder whose cluster chain loops on itself. */
static int fat_image(uint8_t data[1000])
{
	static uint8_t img[128 * 512];
	memset(img, 0, sizeof(img));
	uint8_t *bs = img;
	le16w(bs + 11, 512);
	bs[13] = 1;
	le16w(bs + 14, 1);
	bs[16] = 1;
	le16w(bs + 17, 16);
	le16w(bs + 19, 128);
	le16w(bs + 22, 1);
	bs[510] = 0x55;
	bs[511] = 0xaa;
	uint8_t *fat = img + 512;
	fat[0] = 0xf8;
	fat[1] = 0xff;
	fat[2] = 0xff;
	/* cluster 5 -> 5 (a loop); clusters 2 and 3 free (the deleted file's) */
	fat[7] = 0x50; /* entry 5 is the high 12 bits of bytes 7..8 */
	fat[8] = 0x00;
	uint8_t *root = img + 2 * 512;
	/* the deleted long-name entry (its order byte now 0xE5), then the short entry */
	root[0] = 0xe5;
	const char *ln = "Report.pdf";
	for (int i = 0; i < 13; i++) {
		static const int at[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };
		uint16_t ch = i < 10 ? (uint16_t)ln[i] : i == 10 ? 0 : 0xffff;
		le16w(root + at[i], ch);
	}
	root[11] = 0x0f;
	memcpy(root + 32, "\xe5" "EPORT  PDF", 11);
	root[32 + 11] = 0x20;
	le16w(root + 32 + 26, 2);
	root[32 + 28] = 1000 & 0xff;
	root[32 + 29] = 1000 >> 8;
	memcpy(root + 64, "LOOP       ", 11);
	root[64 + 11] = 0x10;
	le16w(root + 64 + 26, 5);
	memcpy(img + 3 * 512, data, 1000);
	int fd = memfd_create("fat", 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
	return fd;
}

/* L (scanned from FD) holds one 1000-byte "/Report.pdf" that reads back as DATA; the out fd. */
static int check_one_read_back(int fd, enum restore_fs fs, struct restore_list *l,
			       const uint8_t data[1000])
{
	ck_assert_uint_eq(l->n, 1);
	ck_assert_str_eq(l->files[0].path, "/Report.pdf");
	ck_assert_uint_eq(l->files[0].size, 1000);
	ck_assert_int_eq(l->files[0].percent, 100);
	int out = memfd_create("out", 0);
	char sha[65], want[65];
	ck_assert_int_eq(restore_read_file(fd, fs, &l->files[0], out, sha), 0);
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, data, 1000);
	sha256_hex(&h, want);
	ck_assert_str_eq(sha, want);
	ck_assert_int_eq(lseek(out, 0, SEEK_END), 1000);
	return out;
}

START_TEST(fat_scan_and_read)
{
	uint8_t data[1000];
	for (int i = 0; i < 1000; i++) {
		data[i] = (uint8_t)(i * 31);
	}
	int fd = fat_image(data);
	struct restore_list l = { 0 };
	ck_assert_int_eq(restore_fat_scan(fd, &l), 0);
	int out = check_one_read_back(fd, RESTORE_FAT, &l, data);
	char sha[65];
	/* a size that runs past the device is refused, not read */
	l.files[0].ext[0].phys = 1u << 20;
	ck_assert_int_lt(restore_read_file(fd, RESTORE_FAT, &l.files[0], out, sha), 0);
	restore_list_free(&l);
	close(out);
	/* not a FAT volume */
	uint8_t zero[4096] = { 0 };
	int z = memfd_create("zero", 0);
	ck_assert_int_eq(write(z, zero, sizeof(zero)), (ssize_t)sizeof(zero));
	ck_assert_int_eq(restore_fat_scan(z, &l), -EINVAL);
	ck_assert_int_eq(restore_ext4_scan(z, &l), -EINVAL);
	ck_assert_int_eq(restore_exfat_scan(z, &l), -EINVAL);
	close(z);
	close(fd);
}
END_TEST

/* A 52 KiB exFAT volume (512-byte clusters): a deleted contiguous "Report.pdf" of 1000 bytes at
 * cluster 5, a live folder pointing far outside the volume, an entry set running off the end. */
START_TEST(exfat_scan_and_read)
{
	static uint8_t img[104 * 512];
	memset(img, 0, sizeof(img));
	memcpy(img + 3, "EXFAT   ", 8);
	img[80] = 1;   /* FAT at sector 1 */
	img[84] = 1;
	img[88] = 2;   /* cluster heap at sector 2 */
	img[92] = 100; /* clusters */
	img[96] = 2;   /* root at cluster 2 */
	img[108] = 9;
	img[109] = 0;
	img[110] = 1;
	memset(img + 512 + 8, 0xff, 8); /* FAT: clusters 2 and 3 end their chains */
	uint8_t *root = img + 2 * 512, *e;
	e = root;      /* the allocation bitmap: cluster 3, 13 bytes */
	e[0] = 0x81;
	e[20] = 3;
	e[24] = 13;
	img[3 * 512] = 0x03;
	e = root + 32; /* the deleted set: file, stream (NoFatChain), name */
	e[0] = 0x05;
	e[1] = 2;
	e[32] = 0x40;
	e[33] = 0x03;
	e[35] = 10;
	e[32 + 20] = 5;
	le16w(e + 32 + 24, 1000);
	e[64] = 0x41;
	for (int i = 0; i < 10; i++) {
		le16w(e + 64 + 2 + 2 * i, (uint16_t)"Report.pdf"[i]);
	}
	e = root + 128; /* a live folder far outside the volume */
	e[0] = 0x85;
	e[1] = 2;
	e[4] = 0x10;
	e[32] = 0xc0;
	e[35] = 1;
	e[32 + 20] = 0xff;
	e[32 + 21] = 0xff;
	e[32 + 24] = 1;
	e[64] = 0xc1;
	e[66] = 'x';
	e = root + 512 - 32; /* an entry set that runs off the cluster */
	e[0] = 0x05;
	e[1] = 18;
	uint8_t data[1000];
	for (int i = 0; i < 1000; i++) {
		data[i] = (uint8_t)(i * 13 + 1);
	}
	memcpy(img + (2 + 3) * 512, data, sizeof(data));
	int fd = memfd_create("exfat", 0);
	ck_assert_int_eq(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
	struct restore_list l = { 0 };
	ck_assert_int_eq(restore_exfat_scan(fd, &l), 0);
	int out = check_one_read_back(fd, RESTORE_EXFAT, &l, data);
	restore_list_free(&l);
	/* the FAT scanner does not take it for FAT */
	ck_assert_int_eq(restore_fat_scan(fd, &l), -EINVAL);
	close(out);
	close(fd);
}
END_TEST

START_TEST(sha256_vectors)
{
	char out[65];
	struct sha256 h;
	sha256_init(&h);
	sha256_hex(&h, out);
	ck_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_init(&h);
	sha256_update(&h, "abc", 3);
	sha256_hex(&h, out);
	ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_init(&h);
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	for (const char *p = m; *p; p++) {
		sha256_update(&h, p, 1); /* byte by byte across block boundaries */
	}
	sha256_hex(&h, out);
	ck_assert_str_eq(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("toolset-restore");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ntfs_lines);
	tcase_add_test(tc, ntfs_parents);
	tcase_add_test(tc, ext4_dir_block);
	tcase_add_test(tc, ext4_extents);
	tcase_add_test(tc, jbd2_descriptor_tags);
	tcase_add_test(tc, fat_names);
	tcase_add_test(tc, fat_scan_and_read);
	tcase_add_test(tc, exfat_scan_and_read);
	tcase_add_test(tc, sha256_vectors);
	suite_add_tcase(s, tc);
	return s;
}
