module marlowe.example/ingest

go 1.22

require (
	github.com/jackc/pgx/v5 v5.5.5
	github.com/aws/aws-sdk-go-v2/service/s3
)
