# Occupation categories of pekerja rentan, with spellings seen in DTKS/P3KE extracts and
# village lists (Dukcapil's KTP occupation list names "PETANI/PEKEBUN", "NELAYAN/PERIKANAN",
# "BURUH HARIAN LEPAS", "PEDAGANG"...). Admins extend this table; imports read it.
OCCUPATIONS = [
    (
        "petani_pekebun",
        "Petani/Pekebun",
        "",
        10,
        "petani\npekebun\ntani\npetani pekebun\npekebun sawit\npetani karet\nfarmer",
    ),
    (
        "nelayan",
        "Nelayan",
        "",
        20,
        "nelayan perikanan\nnelayan/perikanan\npembudidaya ikan\nfisher\nfisherman",
    ),
    (
        "buruh_harian_lepas",
        "Buruh Harian Lepas",
        "",
        30,
        "buruh harian lepas\nbhl\nburuh\nburuh tani\nburuh tani perkebunan\nburuh bangunan\n"
        "tukang\nkuli\nday labourer",
    ),
    (
        "pedagang_kecil",
        "Pedagang Kecil",
        "",
        40,
        "pedagang\npedagang kaki lima\npkl\nwarung\nusaha mikro\nsmall trader\ntrader",
    ),
    (
        "ojek_transportasi",
        "Ojek/Transportasi",
        "transport",
        50,
        "ojek\ntukang ojek\nojol\nojek online\nsopir\nsupir\nkurir\nbecak\ntransportasi\ndriver",
    ),
    (
        "pekerja_rumah_tangga",
        "Pekerja Rumah Tangga",
        "",
        60,
        "prt\nasisten rumah tangga\nart\ndomestic worker",
    ),
    ("peternak", "Peternak", "", 70, "peternak\npeternakan\nternak\nlivestock farmer"),
    ("lainnya", "Lainnya", "", 999, "lain lain\nlain-lain\nother\nothers"),
]


def add_occupations(apps, schema_editor):
    occupation = apps.get_model("registry", "Occupation")
    for code, name, group, order, synonyms in OCCUPATIONS:
        occupation.objects.update_or_create(
            code=code,
            defaults={"name": name, "group": group, "sort_order": order, "synonyms": synonyms},
        )
