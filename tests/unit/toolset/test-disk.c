#include <stdlib.h>
#include <string.h>

#include "disk.h"
#include "toolset-test.h"

/* testdisk 7.1's log of a quick search on a disk image (CHS geometry), as it writes it. */
static const char log_chs[] =
	"Hard disk list\n"
	"Disk d.img - 209 MB / 200 MiB - CHS 26 255 63, sector size=512\n"
	"\n"
	"Analyse Disk d.img - 209 MB / 200 MiB - CHS 26 255 63\n"
	"search_part()\n"
	"     Linux                    0  32 33     6  89 51     100000 [rootfs]\n"
	"\n"
	"interface_write()\n"
	" 1 * Linux                    0  32 33     6  95 25     100352 [rootfs]\n"
	" 2 P FAT16 >32M               6 127 58    18 253 43     200704 [DATAV]\n"
	"\n"
	"search_part()\n"
	"interface_write()\n"
	" 1 * FAT16 >32M               6 127 58    18 253 43     200704 [DATAV]\n";

/* ... and on a block device (LBA: start, end, size in sectors). */
static const char log_lba[] =
	"Disk /dev/loop0 - 209 MB / 200 MiB - 409600 sectors, sector size=512\n"
	"interface_write()\n"
	" 1 * Linux                       2048     102399     100352 [rootfs]\n"
	" 2 P FAT16 LBA                 104448     305151     200704 [DATAV]\n"
	" 3 D Linux                     400000     400999       1000\n"
	" 4 P Linux Swap                306176     307199       1024 [a ] b]\n"
	"\n";

START_TEST(testdisk_chs)
{
	struct disk_found f[DISK_FOUND_MAX];
	int n = disk_parse_testdisk_log(log_chs, strlen(log_chs), f, DISK_FOUND_MAX);
	ck_assert_int_eq(n, 2); /* only the first table offered */
	ck_assert_uint_eq(f[0].start, 2048);
	ck_assert_uint_eq(f[0].size, 100352);
	ck_assert_int_eq(f[0].status, '*');
	ck_assert_str_eq(f[0].type, "Linux");
	ck_assert_str_eq(f[0].id, "83");
	ck_assert_str_eq(f[0].label, "rootfs");
	ck_assert_uint_eq(f[1].start, 104448);
	ck_assert_str_eq(f[1].type, "FAT16 >32M");
	ck_assert_str_eq(f[1].id, "06");
}
END_TEST

START_TEST(testdisk_lba)
{
	struct disk_found f[DISK_FOUND_MAX];
	int n = disk_parse_testdisk_log(log_lba, strlen(log_lba), f, DISK_FOUND_MAX);
	ck_assert_int_eq(n, 3); /* the deleted one is left out */
	ck_assert_uint_eq(f[0].start, 2048);
	ck_assert_uint_eq(f[0].size, 100352);
	ck_assert_str_eq(f[1].id, "0e");
	ck_assert_str_eq(f[2].type, "Linux Swap");
	ck_assert_str_eq(f[2].label, "a ] b");

	char *s = disk_found_script(f, (size_t)n, "0x187250ab");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "label: dos\nlabel-id: 0x187250ab\nunit: sectors\n\n"
			    "start=2048, size=100352, type=83, bootable\n"
			    "start=104448, size=200704, type=0e\n"
			    "start=306176, size=1024, type=82\n");
	free(s);
	/* a label id that is not one is left out (sfdisk then makes a new one) */
	s = disk_found_script(f, 1, "0x1;rm -rf");
	ck_assert_ptr_null(strstr(s, "label-id"));
	free(s);
}
END_TEST

START_TEST(testdisk_hostile)
{
	struct disk_found f[4];
	/* nothing found */
	const char none[] = "Disk x - CHS 1 255 63\ninterface_write()\nNo partition found\n";
	ck_assert_int_eq(disk_parse_testdisk_log(none, strlen(none), f, 4), 0);
	/* no interface_write at all (testdisk stopped early) */
	ck_assert_int_eq(disk_parse_testdisk_log(log_chs, 60, f, 4), 0);
	/* truncated in the middle of an entry */
	const char *cut = strstr(log_chs, "6  95 25     100352");
	ck_assert_ptr_nonnull(cut);
	ck_assert_int_lt(disk_parse_testdisk_log(log_chs, (size_t)(cut - log_chs + 3), f, 4), 0);
	ck_assert_int_lt(disk_parse_testdisk_log(log_chs, (size_t)(cut - log_chs + 16), f, 4), 0);
	/* a sector number beyond the geometry, an end before the start */
	const char bad1[] =
		"Disk x - CHS 9 255 63\ninterface_write()\n 1 P Linux 0 300 1 1 1 1 9\n";
	const char bad4[] = "Disk x - CHS 9 255 63\ninterface_write()\n 1 P Linux 0 1 1 0 1 63 9\n";
	ck_assert_int_lt(disk_parse_testdisk_log(bad4, strlen(bad4), f, 4), 0); /* end != size */
	ck_assert_int_lt(disk_parse_testdisk_log(bad1, strlen(bad1), f, 4), 0);
	const char bad2[] = "Disk x - 9 sectors\ninterface_write()\n 1 P Linux 100 50 51\n";
	ck_assert_int_lt(disk_parse_testdisk_log(bad2, strlen(bad2), f, 4), 0);
	/* no geometry line */
	const char bad3[] = "interface_write()\n 1 P Linux 1 2 2\n";
	ck_assert_int_lt(disk_parse_testdisk_log(bad3, strlen(bad3), f, 4), 0);
	/* control characters and invalid UTF-8 in the label; an unknown type */
	const char ctl[] = "Disk x - 99 sectors\ninterface_write()\n"
			   " 1 P Weird\x1b[2J     10 19 10 [\x1b]0;x\x07\xff\xfe]\n";
	ck_assert_int_eq(disk_parse_testdisk_log(ctl, strlen(ctl), f, 4), 1);
	ck_assert_ptr_null(strchr(f[0].label, '\x1b'));
	ck_assert_ptr_null(strchr(f[0].type, '\x1b'));
	ck_assert_ptr_null(f[0].id);
	ck_assert_ptr_null(disk_found_script(f, 1, NULL)); /* refused: unknown type */
	/* a huge line and more entries than room */
	size_t big = 1u << 20;
	char *huge = malloc(big + 64);
	strcpy(huge, "Disk x - 99 sectors\ninterface_write()\n");
	memset(huge + strlen(huge), 'A', big);
	huge[big + 30] = '\0';
	ck_assert_int_lt(disk_parse_testdisk_log(huge, strlen(huge), f, 4), 0);
	free(huge);
	ck_assert_int_eq(disk_parse_testdisk_log(log_lba, strlen(log_lba), f, 1), 1);
}
END_TEST

START_TEST(smart)
{
	struct disk_health h;
	const char ata[] =
		"{\"smart_status\":{\"passed\":true},\"temperature\":{\"current\":31},"
		"\"power_on_time\":{\"hours\":12345},\"ata_smart_attributes\":{\"table\":["
		"{\"id\":5,\"raw\":{\"value\":8}},{\"id\":197,\"raw\":{\"value\":0}}]}}";
	disk_parse_smart(ata, strlen(ata), &h);
	ck_assert(h.offered && h.passed);
	ck_assert_int_eq(h.temperature, 31);
	ck_assert_int_eq(h.power_on_hours, 12345);
	ck_assert_int_eq(h.reallocated, 8);
	ck_assert_str_eq(h.summary, "PASSED, 8 reallocated sectors");

	const char nvme[] =
		"{\"smart_status\":{\"passed\":false},\"nvme_smart_health_information_log\":"
		"{\"media_errors\":2,\"percentage_used\":97}}";
	disk_parse_smart(nvme, strlen(nvme), &h);
	ck_assert(h.offered && !h.passed);
	ck_assert_str_eq(h.summary, "FAILING, 2 media errors, 97% worn");

	/* virtio: smartctl's error object without smart_status */
	const char none[] = "{\"smartctl\":{\"exit_status\":1,\"messages\":[{\"string\":\"x\"}]}}";
	disk_parse_smart(none, strlen(none), &h);
	ck_assert(!h.offered);
	ck_assert_str_eq(h.summary, "not offered");
	/* truncated, wrong types, not JSON */
	disk_parse_smart(ata, 30, &h);
	ck_assert(!h.offered);
	const char types[] =
		"{\"smart_status\":{\"passed\":\"yes\"},\"temperature\":{\"current\":-5}}";
	disk_parse_smart(types, strlen(types), &h);
	ck_assert(!h.offered);
	ck_assert_int_eq(h.temperature, -1);
	disk_parse_smart("\xff\xfe\x01", 3, &h);
	ck_assert(!h.offered);
	/* deeply nested input stops at the tokener's depth */
	char deep[4000];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	disk_parse_smart(deep, strlen(deep), &h);
	ck_assert(!h.offered);
}
END_TEST

static const char dump_a[] =
	"# lifeline disks --save-table /dev/vdb: -\n"
	"label: dos\n"
	"label-id: 0x1234abcd\n"
	"device: /dev/vdb\n"
	"unit: sectors\n"
	"sector-size: 512\n"
	"\n"
	"/dev/vdb1 : start=        2048, size=      100352, type=83, bootable\n"
	"/dev/vdb2 : start=      104448, size=      200704, type=e\n";

START_TEST(dumps)
{
	char why[160];
	ck_assert_int_eq(disk_check_dump(dump_a, strlen(dump_a), why, sizeof(why)), 0);
	char lid[32];
	ck_assert(disk_dump_header(dump_a, "label-id", lid, sizeof(lid)));
	ck_assert_str_eq(lid, "0x1234abcd");
	ck_assert(!disk_dump_header(dump_a, "first-lba", lid, sizeof(lid)));

	/* not a dump, another label, a control character, a long line, NUL, empty */
	const char *bad[] = { "hello\n",
			      "label: bsd\n",
			      "label: dos\n/dev/x1 : start=1\x1b\n",
			      "label: dos\n/dev/x1 : size=5\n",
			      "label: dos\nrm -rf /\n",
			      "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_lt(disk_check_dump(bad[i], strlen(bad[i]), why, sizeof(why)), 0);
	}
	ck_assert_int_lt(disk_check_dump("label: dos\n\0x", 13, why, sizeof(why)), 0);
	char *lng = malloc(3000);
	memset(lng, 'x', 2999);
	memcpy(lng, "label: dos\n", 11);
	lng[2999] = '\0';
	ck_assert_int_lt(disk_check_dump(lng, strlen(lng), why, sizeof(why)), 0);
	free(lng);

	/* the same table on another disk: no difference */
	const char same[] = "label: dos\nlabel-id: 0x1234abcd\ndevice: /dev/sdc\nunit: sectors\n\n"
			    "/dev/sdc1 : start=        2048, size=      100352, type=83, bootable\n"
			    "/dev/sdc2 : start=      104448, size=      200704, type=e\n";
	char *d = disk_dump_diff(dump_a, same);
	ck_assert_str_eq(d, "");
	free(d);
	/* an empty (zeroed) table against the saved one: both partitions come */
	const char empty[] = "label: dos\nlabel-id: 0x1234abcd\ndevice: /dev/vdb\nunit: sectors\n";
	d = disk_dump_diff(empty, dump_a);
	ck_assert_str_eq(d,
			 "+partition 1: start=        2048, size=      100352, type=83, bootable\n"
			 "+partition 2: start=      104448, size=      200704, type=e\n");
	free(d);
	/* a changed and a removed partition; a script without device names */
	const char script[] = "label: dos\nlabel-id: 0x1234abcd\nunit: sectors\n\n"
			      "start=2048, size=4096, type=83\n";
	d = disk_dump_diff(dump_a, script);
	ck_assert_ptr_nonnull(strstr(d, "-partition 1: start=        2048"));
	ck_assert_ptr_nonnull(strstr(d, "+partition 1: start=2048, size=4096, type=83\n"));
	ck_assert_ptr_nonnull(strstr(d, "-partition 2: "));
	free(d);
	/* hostile values are shown sanitized */
	const char evil[] = "label: dos\n/dev/x1 : start=1, name=\"\x1b[2J\"\n";
	d = disk_dump_diff(empty, evil);
	ck_assert_ptr_null(strchr(d, '\x1b'));
	free(d);
}
END_TEST

/* An EFI load option as install-to-disk's efibootmgr writes it (without the attribute bytes). */
static size_t load_option(unsigned char *b, const char *file, unsigned sig_type)
{
	static const unsigned char guid[16] = { 0x6e, 0xbc, 0x11, 0x00, 0x93, 0x00, 0x40, 0xe7,
						0xaf, 0x60, 0x51, 0x37, 0x34, 0x59, 0xd7, 0xc5 };
	const char *desc = "Lifeline recovery";
	size_t o = 6;
	memset(b, 0, 1024);
	b[0] = 1; /* LOAD_OPTION_ACTIVE */
	for (const char *p = desc; *p; p++, o += 2) {
		b[o] = (unsigned char)*p;
	}
	o += 2;
	size_t list = o;
	/* HD(1,GPT,0011bc6e-...,0x800,0x10000) */
	b[o] = 4, b[o + 1] = 1, b[o + 2] = 42;
	b[o + 4] = 1;
	b[o + 9] = 0x08;
	b[o + 18] = 0x01;
	memcpy(b + o + 24, guid, 16);
	b[o + 40] = 2, b[o + 41] = (unsigned char)sig_type;
	o += 42;
	size_t fl = 4 + (strlen(file) + 1) * 2;
	b[o] = 4, b[o + 1] = 4, b[o + 2] = (unsigned char)fl;
	for (size_t i = 0; file[i]; i++) {
		b[o + 4 + 2 * i] = (unsigned char)file[i];
	}
	o += fl;
	b[o] = 0x7f, b[o + 1] = 0xff, b[o + 2] = 4;
	o += 4;
	b[4] = (unsigned char)(o - list);
	return o;
}

START_TEST(efi_boot_entry)
{
	unsigned char b[1024];
	char uuid[40];
	size_t n = load_option(b, "\\EFI\\Lifeline\\lifeline.efi", 2);
	ck_assert(disk_parse_load_option(b, n, uuid, sizeof(uuid)));
	ck_assert_str_eq(uuid, "0011bc6e-0093-e740-af60-51373459d7c5");
	/* another loader on the same partition is not Lifeline */
	n = load_option(b, "\\EFI\\debian\\shimx64.efi", 2);
	ck_assert(!disk_parse_load_option(b, n, uuid, sizeof(uuid)));
	/* an MBR signature is no GPT partition */
	n = load_option(b, "\\EFI\\Lifeline\\lifeline.efi", 1);
	ck_assert(!disk_parse_load_option(b, n, uuid, sizeof(uuid)));
	/* every truncation is refused, none reads past the end */
	n = load_option(b, "\\EFI\\Lifeline\\lifeline.efi", 2);
	for (size_t cut = 0; cut < n - 4; cut++) {
		unsigned char *c = malloc(cut ? cut : 1);
		memcpy(c, b, cut);
		ck_assert(!disk_parse_load_option(c, cut, uuid, sizeof(uuid)));
		free(c);
	}
	/* a node length of 0 (a loop) and one past the list */
	b[4 + 2 + 36 + 2] = 0;
	ck_assert(!disk_parse_load_option(b, n, uuid, sizeof(uuid)));
	n = load_option(b, "\\EFI\\Lifeline\\lifeline.efi", 2);
	b[4] = 0xff, b[5] = 0xff;
	ck_assert(!disk_parse_load_option(b, n, uuid, sizeof(uuid)));
}
END_TEST

START_TEST(sizes)
{
	char b[32];
	disk_size_text(268435456, b, sizeof(b));
	ck_assert_str_eq(b, "256.0 MiB");
	disk_size_text(2147483648ull, b, sizeof(b));
	ck_assert_str_eq(b, "2.0 GiB");
	disk_size_text(512, b, sizeof(b));
	ck_assert_str_eq(b, "512 B");
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("toolset-disk");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, testdisk_chs);
	tcase_add_test(tc, testdisk_lba);
	tcase_add_test(tc, testdisk_hostile);
	tcase_add_test(tc, smart);
	tcase_add_test(tc, dumps);
	tcase_add_test(tc, efi_boot_entry);
	tcase_add_test(tc, sizes);
	suite_add_tcase(s, tc);
	return s;
}
