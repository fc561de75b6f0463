"""The columns of a worker list (DTKS/DTSEN, P3KE, village lists) and how operators spell them."""

from jaring.core.spreadsheets import SheetSchema

# Canonical field → header spellings seen in DTKS, P3KE and village lists (compared by name_key).
HEADER_SYNONYMS = {
    "nik": ["nik", "no ktp", "nomor ktp", "no nik", "nomor nik", "nomor induk kependudukan", "ktp"],
    "full_name": [
        "nama",
        "nama lengkap",
        "name",
        "full name",
        "nama pekerja",
        "nama peserta",
        "nama anggota keluarga",
        "nama art",
    ],
    "sex": ["jenis kelamin", "jk", "l p", "sex", "gender", "kelamin"],
    "birth_date": [
        "tanggal lahir",
        "tgl lahir",
        "tanggal lhr",
        "tgl lhr",
        "birth date",
        "date of birth",
        "dob",
        "tanggal_lahir",
    ],
    "birth_place": ["tempat lahir", "tmp lahir", "place of birth", "birth place"],
    "village": [
        "desa kelurahan",
        "desa",
        "kelurahan",
        "kel desa",
        "desa kel",
        "village",
        "kode desa",
        "nama desa",
        "kode wilayah",
    ],
    "district": ["kecamatan", "kec", "district", "nama kecamatan"],
    "occupation": ["pekerjaan", "jenis pekerjaan", "occupation", "profesi", "mata pencaharian"],
    "income": [
        "penghasilan",
        "pendapatan",
        "penghasilan per bulan",
        "penghasilan bulanan",
        "income",
        "declared income",
        "upah",
    ],
    "desil": ["desil", "decile", "desil kesejahteraan", "peringkat desil"],
    "phone": [
        "no hp",
        "nomor hp",
        "hp",
        "telepon",
        "no telepon",
        "no telp",
        "phone",
        "nomor telepon",
    ],
    "address": ["alamat", "address", "alamat lengkap"],
    "rt_rw": ["rt rw", "rtrw"],
    "has_disability": ["disabilitas", "penyandang disabilitas", "disability"],
    "is_female_head": ["kepala keluarga perempuan", "pekka", "female head of household"],
}
REQUIRED_FIELDS = {"nik": "NIK", "full_name": "Nama Lengkap", "village": "Desa/Kelurahan"}


WORKER_LIST = SheetSchema(HEADER_SYNONYMS, REQUIRED_FIELDS)
