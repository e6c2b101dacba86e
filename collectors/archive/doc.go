// Package archive reads recorded posts from files: JSON lines (Twitter v1.1 tweets, Twitter v2
// tweet objects and {"data","includes"} envelopes, leakwatch posts and site changes) and CSV
// with a column map or a named preset, gzipped or not (detected by the magic bytes).
// Records come back in file order; nothing is dropped: a line or row that cannot be read is a
// collectors.BadRecord naming file:line and the reason.
//
// It serves batch analysis (Open, Reader.Next, ReadAll) and streaming replay (Source, a
// collectors.Source). It must not import stream, warehouse or analytics.
package archive
