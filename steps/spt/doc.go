// Package spt is the Split Personality Training data model shared by the
// steps: the topics and their legal review focuses, the shape of a batch
// file (items, models, variants A and B, intervention records keyed
// "<type>__<version>"), reading and writing batch files in the original
// pipeline's JSON flavours, and the Python text conventions (str.strip,
// code-point lengths) that the original data depends on.
//
// Batch files are handled as *pyjson.Object trees so that every field this
// package does not know is preserved, in its original order.
package spt
