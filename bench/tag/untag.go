package main

import (
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// untag deletes variant and intervention tags, id_numeric and id_string.
func untag(doc *pyjson.Object) error {
	data, _ := spt.Data(doc)
	for i := range data {
		item, err := spt.Item(data, i)
		if err != nil {
			return err
		}
		models, err := spt.Models(item)
		if err != nil {
			return err
		}
		for _, m := range models {
			for _, name := range spt.Variants {
				v, err := spt.Variant(m.Obj, name)
				if err != nil || v == nil {
					continue
				}
				v.Delete("tags")
				recs, _, _ := spt.Interventions(v)
				for _, r := range recs {
					r.Obj.Delete("tags")
					r.Obj.Delete("id_numeric")
					r.Obj.Delete("id_string")
				}
			}
		}
	}
	return nil
}
