"""Demo data: the demo company and its history played through the real services, and the bulk
generator of large stores for benchmarks. Not part of the business."""
