module marlowe.example/ingest

go 1.22.3

toolchain go1.22.4

require github.com/jackc/pgx/v5 v5.5.5

require "github.com/aws/aws-sdk-go-v2/service/s3" v1.54.3 // for the publisher feeds

require (
	// the shared ISBN package, from this repository
	marlowe.example/isbn v0.0.0-00010101000000-000000000000
	github.com/jmespath/go-jmespath v0.4.0 // indirect
)

replace marlowe.example/isbn => ../isbn

exclude github.com/jackc/pgx/v5 v5.5.4
