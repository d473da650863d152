/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The HTML report's template, built into the binary (see out_html.c). */
	.section .rodata
	.global asyncscope_report_html
	.global asyncscope_report_html_end
	.balign 16
asyncscope_report_html:
	.incbin "user/out/html/report.html"
asyncscope_report_html_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
