"""Reports people print: region and cluster profiles as HTML and PDF, the build report."""
