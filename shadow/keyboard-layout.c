#include "keyboard-layout.h"

#include <errno.h>
#include <stddef.h>

struct layout_entry {
	uint32_t id;
	const char *layout;
	const char *variant;
};

/*
 * Windows layout ids (KLIDs) and the xkeyboard-config layout that types the same characters.
 * Exact ids first; the primary-language fallback uses the entries whose id is a bare
 * language id (0x04xx), so keep one of those per language.
 */
static const struct layout_entry layouts[] = {
	{ 0x00000401, "ara", "" },          /* Arabic (101) */
	{ 0x00000402, "bg", "" },           /* Bulgarian */
	{ 0x00000404, "us", "" },           /* Chinese (Traditional) - US keys */
	{ 0x00000405, "cz", "" },           /* Czech */
	{ 0x00000406, "dk", "" },           /* Danish */
	{ 0x00000407, "de", "" },           /* German */
	{ 0x00000408, "gr", "" },           /* Greek */
	{ 0x00000409, "us", "" },           /* US */
	{ 0x0000040a, "es", "" },           /* Spanish (traditional sort) */
	{ 0x0000040b, "fi", "" },           /* Finnish */
	{ 0x0000040c, "fr", "" },           /* French */
	{ 0x0000040d, "il", "" },           /* Hebrew */
	{ 0x0000040e, "hu", "" },           /* Hungarian */
	{ 0x0000040f, "is", "" },           /* Icelandic */
	{ 0x00000410, "it", "" },           /* Italian */
	{ 0x00000411, "jp", "" },           /* Japanese */
	{ 0x00000412, "kr", "" },           /* Korean */
	{ 0x00000413, "nl", "" },           /* Dutch */
	{ 0x00000414, "no", "" },           /* Norwegian */
	{ 0x00000415, "pl", "" },           /* Polish (programmers) */
	{ 0x00000416, "br", "" },           /* Portuguese (Brazil ABNT) */
	{ 0x00000418, "ro", "" },           /* Romanian */
	{ 0x00000419, "ru", "" },           /* Russian */
	{ 0x0000041a, "hr", "" },           /* Croatian */
	{ 0x0000041b, "sk", "" },           /* Slovak */
	{ 0x0000041c, "al", "" },           /* Albanian */
	{ 0x0000041d, "se", "" },           /* Swedish */
	{ 0x0000041e, "th", "" },           /* Thai Kedmanee */
	{ 0x0000041f, "tr", "" },           /* Turkish Q */
	{ 0x00000422, "ua", "" },           /* Ukrainian */
	{ 0x00000423, "by", "" },           /* Belarusian */
	{ 0x00000424, "si", "" },           /* Slovenian */
	{ 0x00000425, "ee", "" },           /* Estonian */
	{ 0x00000426, "lv", "" },           /* Latvian */
	{ 0x00000427, "lt", "" },           /* Lithuanian */
	{ 0x0000042f, "mk", "" },           /* Macedonian */
	{ 0x00000804, "us", "" },           /* Chinese (Simplified) - US keys */
	{ 0x00000807, "ch", "" },           /* Swiss German */
	{ 0x00000809, "gb", "" },           /* United Kingdom */
	{ 0x0000080a, "latam", "" },        /* Latin American */
	{ 0x0000080c, "be", "" },           /* Belgian French */
	{ 0x00000813, "be", "" },           /* Belgian (period) */
	{ 0x00000816, "pt", "" },           /* Portuguese */
	{ 0x00000c0c, "ca", "fr-legacy" },  /* Canadian French (legacy) */
	{ 0x00000c1a, "rs", "" },           /* Serbian (Cyrillic) */
	{ 0x00001009, "ca", "" },           /* Canadian French */
	{ 0x0000100c, "ch", "fr" },         /* Swiss French */
	{ 0x0000141a, "ba", "" },           /* Bosnian */
	{ 0x00001809, "ie", "" },           /* Irish */
	{ 0x0000201a, "ba", "" },           /* Bosnian (Cyrillic) */
	{ 0x00010402, "bg", "phonetic" },   /* Bulgarian (phonetic) */
	{ 0x00010405, "cz", "qwerty" },     /* Czech (QWERTY) */
	{ 0x00010407, "de", "" },           /* German (IBM) */
	{ 0x00010408, "gr", "polytonic" },  /* Greek (220) */
	{ 0x00010409, "us", "dvorak" },     /* US Dvorak */
	{ 0x0001040a, "es", "" },           /* Spanish variation */
	{ 0x0001040e, "hu", "101_qwertz_comma_dead" }, /* Hungarian 101-key */
	{ 0x00010410, "it", "" },           /* Italian (142) */
	{ 0x00010415, "pl", "legacy" },     /* Polish (214) */
	{ 0x00010416, "br", "" },           /* Portuguese (Brazil ABNT2) */
	{ 0x00010419, "ru", "typewriter" }, /* Russian (typewriter) */
	{ 0x0001041b, "sk", "qwerty" },     /* Slovak (QWERTY) */
	{ 0x0001041f, "tr", "f" },          /* Turkish F */
	{ 0x00011009, "ca", "multix" },     /* Canadian Multilingual Standard */
	{ 0x00020409, "us", "intl" },       /* United States-International */
	{ 0x00030409, "us", "dvorak-l" },   /* US Dvorak for left hand */
	{ 0x00040409, "us", "dvorak-r" },   /* US Dvorak for right hand */
	{ 0x00050409, "us", "" },           /* US English Table for IBM Arabic */
};

int keyboard_layout_from_id(uint32_t id, const char **ret_layout, const char **ret_variant)
{
	const size_t n = sizeof(layouts) / sizeof(layouts[0]);
	uint32_t lang = id & 0x3ff;

	for (size_t i = 0; i < n; i++) {
		if (layouts[i].id == id) {
			*ret_layout = layouts[i].layout;
			*ret_variant = layouts[i].variant;
			return 0;
		}
	}
	/* Another sub-language or a layout we do not know: the language's main layout. */
	if (lang != 0) {
		for (size_t i = 0; i < n; i++) {
			if (layouts[i].id == (0x400 | lang)) {
				*ret_layout = layouts[i].layout;
				*ret_variant = layouts[i].variant;
				return 0;
			}
		}
	}
	return -ENOENT;
}
