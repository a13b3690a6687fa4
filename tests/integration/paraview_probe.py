"""Run by pvpython: open an anneal .xmf with one of ParaView's XDMF readers and print what it sees as
JSON. A time series is read at its last time."""
import json
import sys

from paraview import simple

# argv[2] "xdmf3": the reader ParaView picks by default (Xdmf3ReaderS); otherwise its "XDMF Reader".
if len(sys.argv) > 2 and sys.argv[2] == "xdmf3":
    reader = simple.Xdmf3ReaderS(FileName=[sys.argv[1]])
else:
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
