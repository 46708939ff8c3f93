"""The systems that talk to Kopra over HTTP: the bank's buyer app and the courier partners, each an
API client the bank registers (clients.py)."""
