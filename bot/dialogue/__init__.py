"""Transport-neutral dialogue (bot layer): what Yoldosh says and which buttons it offers, for any channel."""
