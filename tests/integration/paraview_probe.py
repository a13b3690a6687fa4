"""Run by pvpython: open an anneal .xmf with ParaView's own reader and print what it sees as JSON.
A time series is read at its last time."""
import json
import sys

from paraview import simple

# ParaView's "XDMF Reader" (XDMF 2): its Xdmf3 readers do not read the hyperslabs that pick one
# frame of a time series out of a [nt][...] dataset (docs/file-format.md).
reader = simple.XDMFReader(FileNames=[sys.argv[1]])
times = list(getattr(reader, "TimestepValues", []) or [])
if times:
    reader.UpdatePipeline(times[-1])
else:
    reader.UpdatePipeline()
info = reader.GetDataInformation()
arrays = {}
for name in reader.PointData.keys():
    array = reader.PointData[name]
    arrays[name] = {
        "components": array.GetNumberOfComponents(),
        "ranges": [list(array.GetRange(c)) for c in range(array.GetNumberOfComponents())],
    }
print(json.dumps({"extent": list(info.GetExtent()), "points": info.GetNumberOfPoints(), "times": times,
                  "bounds": list(info.GetBounds()), "arrays": arrays}))
