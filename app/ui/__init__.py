"""What every page shares to read input, call core and show the result, the same way on every screen.

- `app.ui.actions`: the one way a page calls core and shows a refusal: `attempt` (an action; on a
  refusal its sentence, and the form keeps what was typed), `read_or_stop` (a page's first read; on
  a refusal why, and the page stops), `rerun_saying` (a success notice that survives the rerun).
- `app.ui.formats`: how the UI writes figures and times: rupiah, counts and percentages as
  Indonesians write them, local times with their zone, days, durations and time left.
- `app.ui.rounds`: fresh, empty widgets after a save (a round number in the widgets' keys).
- `app.ui.plain`: what a person or the buyer app typed, shown as plain text: `typed` inside Markdown
  (and widget labels), `say` for a whole sentence in an alert, `chart_label` in a Plotly figure.
"""
