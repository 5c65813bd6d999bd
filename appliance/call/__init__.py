"""One call's machinery: typed inputs and events, the call-control port, listening and turn-taking,
speaking, replying, recording, and the context every run shares."""
