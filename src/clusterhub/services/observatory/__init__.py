"""The observatory: rated cluster maps built from regional statistics, stored data sets, maps
and charts, relatedness, complexity, diversification paths, methodology pages, and the static
build of all outputs."""
