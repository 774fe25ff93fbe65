"""Wire protocols, driven by botocore's service models (AWS's own contract)."""
