// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-stat: the heat map, an RGB PNG written with libpng.  One pixel per
 * cell (a 4 KiB page or a 2 MiB region), HEATMAP_WIDTH cells a row,
 * row-major from guest-physical address 0.
 */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmmig_client.h"
#include "kvmmig_stat.h"

/* cold to hot, then "no memslot" */
static const unsigned char palette[KVS_NR_LEVELS + 1][3] = {
	{ 0x1a, 0x2a, 0x6c },	/* level 0, cold: dark blue */
	{ 0x1f, 0x9e, 0x9a },	/* level 1: teal */
	{ 0xf2, 0xa5, 0x1a },	/* level 2: orange */
	{ 0xe0, 0x1e, 0x1e },	/* level 3, hot: red */
	{ 0x00, 0x00, 0x00 },	/* no memslot: black */
};

void heatmap_colour(uint8_t level, unsigned char rgb[3])
{
	memcpy(rgb, palette[level < KVS_NR_LEVELS ? level : KVS_NR_LEVELS], 3);
}

/*
 * Write @ncells cells of @cells (a level, or KVS_NO_SLOT) to @path.
 * @store: no compression and no row filter (a reader without zlib can
 * read the pixels).  Returns 0 or -errno.
 */
/*
 * The libpng part: on a libpng error it longjmps back here and returns
 * -EIO; no local is changed between the setjmp and a longjmp that is used.
 */
static int heatmap_png(png_structp png, png_infop info, FILE *f, unsigned char *row,
		       const uint8_t *cells, uint64_t ncells, int store, uint32_t w, uint32_t h)
{
	if (setjmp(png_jmpbuf(png)))
		return -EIO;
	png_init_io(png, f);
	if (store) {
		png_set_compression_level(png, 0);
		png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
	}
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			uint64_t i = (uint64_t)y * w + x;

			heatmap_colour(i < ncells ? cells[i] : KVS_NO_SLOT, row + x * 3);
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	return 0;
}

int heatmap_write(const char *path, const uint8_t *cells, uint64_t ncells, int store,
		  uint32_t *width, uint32_t *height)
{
	uint32_t w = HEATMAP_WIDTH, h = (ncells + w - 1) / w;
	png_structp png = NULL;
	png_infop info = NULL;
	unsigned char *row = NULL;
	int ret = -EIO;
	FILE *f;

	if (!h)
		h = 1;
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	row = malloc((size_t)w * 3);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png)
		info = png_create_info_struct(png);
	if (row && info)
		ret = heatmap_png(png, info, f, row, cells, ncells, store, w, h);
	png_destroy_write_struct(&png, &info);
	free(row);
	if (fclose(f) && !ret)
		ret = -errno;
	*width = w;
	*height = h;
	return ret;
}
