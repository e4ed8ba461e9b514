"""What RefDesk writes out for people to take elsewhere: CSV tables of the queue and of the metrics
(``tables``), the CSV writer that keeps a spreadsheet from running a cell as a formula (``csv_safe``),
and the audit of long outputs (``trail``), which the PDF documents share."""
