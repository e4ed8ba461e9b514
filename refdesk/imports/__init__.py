"""Bringing a clinic's existing spreadsheets into RefDesk: referral logs and partner lists (issue 5/7).

``source`` reads CSV and XLSX files safely and streams their rows; ``mapping`` says which column holds
which field and what the file's words (``Pending``, ``High``) mean in RefDesk; ``referrals`` and
``partners`` check every row with the same rules as the forms, preview the result and import in one
transaction. The File -> Import wizard and ``refdesk import`` are both built on these.
"""
