"""Read every dataset of an anneal file with h5py and print shapes, dtypes and /meta as JSON."""
import json
import sys

import h5py

out = {"datasets": {}, "meta": {}}
with h5py.File(sys.argv[1], "r") as f:
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            data = obj[()]  # read it all: a dataset h5py cannot read fails here
            out["datasets"]["/" + name] = {"shape": list(data.shape), "dtype": str(data.dtype),
                                           "units": obj.attrs.get("units", None)}
    f.visititems(visit)
    for key, value in f["meta"].attrs.items():
        out["meta"][key] = value.item() if hasattr(value, "item") else value
print(json.dumps(out))
