module github.com/debiaser/debiaser

go 1.26.8
