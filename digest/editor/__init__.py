"""The editor's commands: `digest init`, `new-issue`, `link add`, `sources` and the files they write."""
