"""Run by pvpython: open an anneal .xmf with ParaView's own reader and print what it sees as JSON."""
import json
import sys

from paraview import simple

reader = simple.OpenDataFile(sys.argv[1])
reader.UpdatePipeline()
info = reader.GetDataInformation()
arrays = {}
for name in reader.PointData.keys():
    array = reader.PointData[name]
    arrays[name] = {
        "components": array.GetNumberOfComponents(),
        "ranges": [list(array.GetRange(c)) for c in range(array.GetNumberOfComponents())],
    }
print(json.dumps({"extent": list(info.GetExtent()), "points": info.GetNumberOfPoints(),
                  "bounds": list(info.GetBounds()), "arrays": arrays}))
