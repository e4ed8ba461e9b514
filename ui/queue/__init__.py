"""The referral queue: the table the front desk lives in, its filters, and the view that joins them."""
