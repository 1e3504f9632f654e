"""The demo's data: who acts, the cases described one by one, the texts they use and the
release's figures the generated cases make up. Plain values; the planners
(oversight/demo/planners/) turn them into commands."""
