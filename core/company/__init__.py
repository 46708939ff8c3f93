"""The company profile: description, contact phone, logo and the payout bank account."""
