"""Documents RefDesk prints: one ReportLab base (page, fonts, letterhead, escaping) and one module per
document (letters to partners, summaries, packets)."""
