"""The HTTP API the bank's buyer app and the courier partners integrate with (`/api/v1/...`), its own
process beside the UI and the scheduler (`python -m uvicorn api.app:build --factory`, started by
`make run` on KOPRA_API_PORT). It imports core and nothing imports it: every step is a core service,
every refusal core's sentence, rendered as an RFC 9457 problem document (api/problems.py)."""
