package spt

import "time"

// ISOFormat formats t in UTC as Python's datetime.isoformat() of a naive
// datetime, the timestamps of the stage files and logs: microseconds only
// when non-zero ("2025-08-22T14:05:37" or "2025-08-22T14:05:37.000120").
func ISOFormat(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04:05.000000")
}
