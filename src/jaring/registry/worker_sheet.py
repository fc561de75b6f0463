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


# The import template (``registry.template``): one column per field, in this order, with its
# header as the template writes it, whether it is required, what it means and an example.
TEMPLATE_COLUMNS = [
    (
        "nik",
        "NIK",
        True,
        "16 digit Nomor Induk Kependudukan, ditulis sebagai teks.",
        "1403014101850001",
    ),
    ("full_name", "Nama Lengkap", True, "Nama sesuai KTP.", "Rusni"),
    (
        "sex",
        "Jenis Kelamin",
        False,
        "L (laki-laki) atau P (perempuan); harus cocok dengan NIK.",
        "P",
    ),
    (
        "birth_date",
        "Tanggal Lahir",
        False,
        "Tanggal (hh-bb-tttt); harus cocok dengan NIK. Kosong: diambil dari NIK.",
        "01-01-1985",
    ),
    ("birth_place", "Tempat Lahir", False, "Kota/kabupaten tempat lahir.", "Bengkalis"),
    (
        "village",
        "Desa/Kelurahan",
        True,
        "Nama desa/kelurahan di wilayah impor, atau kodenya (mis. 14.03.01.2001).",
        "Kelebuk",
    ),
    (
        "district",
        "Kecamatan",
        False,
        "Nama kecamatan; membantu bila nama desa ada di lebih dari satu kecamatan.",
        "Bengkalis",
    ),
    (
        "occupation",
        "Pekerjaan",
        False,
        "Mis. Petani, Nelayan, Buruh Harian Lepas, Pedagang.",
        "Petani",
    ),
    (
        "income",
        "Penghasilan",
        False,
        "Penghasilan per bulan: salah satu nilai nominal tabel penghasilan BPJS (PP 44/2015 "
        "Lampiran II), rupiah penuh tanpa sen (1400000 atau 1.400.000).",
        "1400000",
    ),
    ("desil", "Desil", False, "Desil kesejahteraan DTKS/DTSEN, angka 1 sampai 10.", "1"),
    ("phone", "No HP", False, "Nomor HP diawali 0 atau +62, ditulis sebagai teks.", "081234567890"),
    ("address", "Alamat", False, "Jalan, dusun.", "Jl. Antara No. 5"),
    ("rt_rw", "RT/RW", False, "Nomor RT/RW.", "001/002"),
    (
        "has_disability",
        "Disabilitas",
        False,
        "Ya bila penyandang disabilitas, kosong bila tidak.",
        "",
    ),
    (
        "is_female_head",
        "Kepala Keluarga Perempuan",
        False,
        "Ya bila perempuan kepala keluarga (PEKKA), kosong bila tidak.",
        "",
    ),
]
