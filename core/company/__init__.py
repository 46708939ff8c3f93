"""The company: what buyers see of the seller and where the seller is paid.

- profile.py: the profile view (payout account masked), description, contact phone and logo.
- payout_account.py: the payout bank account change, with its password re-check.
"""
