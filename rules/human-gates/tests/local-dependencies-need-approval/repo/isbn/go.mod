module marlowe.example/isbn

go 1.22
