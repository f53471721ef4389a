"""The store's vocabulary: category codes, departments, brands and the ranges ids are drawn from."""

from __future__ import annotations

# Category codes in rough order of real popularity: the most popular coded
# category gets the first code, so smartphones dominate as in the real data.
CATEGORY_CODES = (
    "electronics.smartphone", "electronics.clocks", "electronics.video.tv", "computers.notebook",
    "electronics.audio.headphone", "appliances.kitchen.washer", "appliances.environment.vacuum",
    "appliances.kitchen.refrigerators", "apparel.shoes", "electronics.tablet", "auto.accessories.player",
    "appliances.environment.water_heater", "computers.desktop", "furniture.living_room.sofa",
    "apparel.shoes.keds", "furniture.bedroom.bed", "appliances.environment.air_heater",
    "electronics.telephone", "appliances.kitchen.microwave", "appliances.kitchen.hob",
    "appliances.kitchen.blender", "appliances.kitchen.kettle", "computers.peripherals.monitor",
    "furniture.living_room.cabinet", "appliances.iron", "auto.accessories.videoregister",
    "appliances.kitchen.meat_grinder", "appliances.kitchen.mixer", "computers.components.videocards",
    "apparel.shoes.slipons", "apparel.shoes.sandals", "construction.tools.drill", "kids.carriage",
    "appliances.kitchen.coffee_machine", "electronics.audio.subwoofer", "appliances.personal.hair_cutter",
    "sport.bicycle", "appliances.kitchen.hood", "appliances.kitchen.oven", "appliances.sewing_machine",
    "computers.components.hdd", "auto.accessories.alarm", "electronics.camera.photo",
    "furniture.kitchen.table", "computers.peripherals.printer", "apparel.trousers",
    "electronics.audio.acoustic", "construction.tools.saw", "kids.toys", "accessories.bag",
    "appliances.environment.air_conditioner", "appliances.kitchen.dishwasher",
    "computers.peripherals.mouse", "computers.peripherals.keyboard", "furniture.kitchen.chair",
    "construction.tools.welding", "construction.tools.generator", "construction.tools.pump",
    "construction.components.faucet", "appliances.kitchen.grill", "appliances.kitchen.toster",
    "appliances.kitchen.steam_cooker", "appliances.ironing_board", "auto.accessories.radar",
    "auto.accessories.compressor", "computers.components.cpu", "computers.components.memory",
    "computers.components.motherboard", "computers.components.power_supply", "computers.ebooks",
    "electronics.video.projector", "electronics.camera.video", "electronics.audio.microphone",
    "electronics.audio.music_tools.piano", "furniture.bathroom.bath", "furniture.bathroom.toilet",
    "furniture.bedroom.pillow", "furniture.living_room.chair", "kids.dolls", "kids.fmcg.diapers",
    "kids.skates", "medicine.tools.tonometer", "sport.snowboard", "sport.trainer", "stationery.cartrige",
    "country_yard.furniture.hammok", "accessories.umbrella", "accessories.wallet", "apparel.dress",
    "apparel.sock", "apparel.underwear", "apparel.shoes.moccasins", "apparel.costume", "apparel.jeans",
    "apparel.shirt", "apparel.jacket", "apparel.scarf", "apparel.glove", "apparel.belt",
    "apparel.shoes.espadrilles", "apparel.shoes.step_ins", "apparel.shoes.ballet_shoes",
    "appliances.kitchen.juicer", "appliances.kitchen.fryer", "appliances.kitchen.coffee_grinder",
    "appliances.personal.scales", "appliances.personal.massager", "appliances.environment.fan",
    "appliances.environment.climate", "auto.accessories.parktronic", "auto.accessories.light",
    "computers.components.cooler", "computers.components.sound_card", "computers.network.router",
    "computers.peripherals.camera", "computers.peripherals.scanner", "construction.tools.screw",
    "construction.tools.heater", "construction.tools.painting", "construction.tools.light",
    "country_yard.cultivator", "country_yard.lawn_mower", "country_yard.watering",
    "electronics.audio.dictaphone", "furniture.universal.light", "furniture.living_room.shelving",
    "kids.bottles", "kids.swing", "sport.tennis", "sport.ski", "sport.diving",
)  # fmt: skip

# Departments that exist only behind uncoded category ids (the real file has
# tyres, cosmetics and jewellery without a category_code).
HIDDEN_DEPARTMENTS = ("tyres", "beauty", "jewelry", "household")
HIDDEN_DEPARTMENT_RATE = 0.6

# Typical price (USD) of a department; categories and products scatter around it.
DEPARTMENT_PRICE = {
    "electronics": 250.0, "appliances": 120.0, "computers": 400.0, "furniture": 150.0,
    "apparel": 60.0, "construction": 100.0, "kids": 60.0, "auto": 80.0, "sport": 250.0,
    "accessories": 40.0, "medicine": 40.0, "stationery": 20.0, "country_yard": 150.0,
    "tyres": 70.0, "beauty": 40.0, "jewelry": 150.0, "household": 25.0,
}  # fmt: skip

# Real brands, roughly most popular first, with the departments they sell in.
KNOWN_BRANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("samsung", ("electronics", "appliances", "computers")), ("apple", ("electronics", "computers")),
    ("xiaomi", ("electronics", "appliances", "computers")), ("huawei", ("electronics", "computers")),
    ("lucente", ("jewelry",)), ("cordiant", ("tyres",)), ("lg", ("electronics", "appliances", "computers")),
    ("bosch", ("appliances", "construction", "auto")), ("acer", ("computers",)),
    ("lenovo", ("computers", "electronics")), ("oppo", ("electronics",)), ("sony", ("electronics", "auto")),
    ("respect", ("apparel", "accessories")), ("nokia", ("electronics",)), ("hp", ("computers",)),
    ("artel", ("appliances", "electronics")), ("redmond", ("appliances",)), ("elenberg", ("appliances",)),
    ("polaris", ("appliances",)), ("casio", ("electronics",)), ("dauscher", ("appliances",)),
    ("stels", ("sport", "kids")), ("indesit", ("appliances",)), ("vitek", ("appliances",)),
    ("starline", ("auto",)), ("triangle", ("tyres",)), ("asus", ("computers", "electronics")),
    ("oasis", ("appliances",)), ("vivo", ("electronics",)), ("karcher", ("appliances", "construction")),
    ("janome", ("appliances",)), ("pulser", ("computers",)), ("oneplus", ("electronics",)),
    ("ariston", ("appliances",)), ("omron", ("medicine",)), ("force", ("construction", "auto")),
    ("philips", ("appliances", "electronics")), ("luminarc", ("household",)),
    ("electrolux", ("appliances",)), ("meizu", ("electronics",)), ("baden", ("apparel", "accessories")),
    ("midea", ("appliances",)), ("gerat", ("household",)), ("haier", ("appliances", "electronics")),
    ("tefal", ("appliances", "household")), ("nokian", ("tyres",)), ("yokohama", ("tyres",)),
    ("elari", ("electronics", "kids")), ("bts", ("furniture",)), ("kingston", ("computers",)),
    ("beko", ("appliances",)), ("brw", ("furniture",)), ("viatti", ("tyres",)), ("svc", ("household",)),
    ("longines", ("electronics",)), ("carters", ("kids", "apparel")), ("skad", ("tyres",)),
    ("garmin", ("electronics", "auto")), ("panasonic", ("appliances", "electronics")),
    ("gigabyte", ("computers",)), ("strobbs", ("apparel",)), ("tp-link", ("computers", "electronics")),
    ("bq", ("electronics",)), ("gran-stone", ("household",)), ("honor", ("electronics",)),
    ("microsoft", ("computers", "electronics")), ("scarlett", ("appliances", "beauty")),
    ("tissot", ("electronics",)), ("denzel", ("construction", "country_yard")),
    ("leo", ("construction", "country_yard")), ("shimano", ("sport",)), ("dewalt", ("construction",)),
    ("transcend", ("computers", "auto")), ("crown", ("construction",)), ("lorelli", ("kids", "furniture")),
    ("fender", ("electronics",)), ("jbl", ("electronics",)), ("viking", ("country_yard", "construction")),
    ("dell", ("computers",)), ("epson", ("computers",)), ("zeta", ("furniture",)), ("sokolov", ("jewelry",)),
    ("canon", ("electronics", "computers")), ("sho-me", ("auto",)), ("maxxis", ("tyres",)),
    ("crucial", ("computers",)), ("gorenje", ("appliances",)), ("qmax", ("computers",)),
    ("shiseido", ("beauty",)), ("braun", ("appliances", "beauty")), ("delonghi", ("appliances",)),
    ("kenwood", ("appliances",)), ("moulinex", ("appliances",)), ("atlant", ("appliances",)),
    ("makita", ("construction",)), ("intel", ("computers",)), ("amd", ("computers",)), ("msi", ("computers",)),
    ("logitech", ("computers",)), ("pioneer", ("auto", "electronics")), ("nikon", ("electronics",)),
    ("adidas", ("apparel", "sport")), ("nike", ("apparel", "sport")), ("puma", ("apparel", "sport")),
    ("chicco", ("kids",)), ("lego", ("kids",)), ("pampers", ("kids",)), ("huggies", ("kids",)),
    ("michelin", ("tyres",)), ("pirelli", ("tyres",)), ("bridgestone", ("tyres",)), ("loreal", ("beauty",)),
    ("nivea", ("beauty",)), ("tramontina", ("household",)), ("rondell", ("household",)),
    ("hama", ("computers", "electronics")), ("defender", ("computers",)), ("sven", ("computers", "electronics")),
    ("hyundai", ("electronics", "appliances")), ("supra", ("electronics", "auto")), ("bbk", ("electronics",)),
    ("digma", ("electronics", "computers")), ("prestigio", ("electronics",)), ("alcatel", ("electronics",)),
    ("motorola", ("electronics",)), ("texet", ("electronics",)), ("thomson", ("electronics",)),
    ("zanussi", ("appliances",)), ("liebherr", ("appliances",)), ("ballu", ("appliances",)),
    ("timberk", ("appliances",)), ("hansa", ("appliances",)), ("weissgauff", ("appliances",)),
)  # fmt: skip

# Syllables for made-up brand names once the real ones run out.
NAME_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr")
NAME_VOWELS = ("a", "e", "i", "o", "u")
NAME_CODAS = ("", "", "", "n", "r", "x", "s", "l")

# Real id ranges: category ids are 19 digits starting 2053013..., newer ones
# 2.1e18; user ids are 9 digits around 512M-566M.
CATEGORY_ID_BASES = (2_053_013_552_000_000_000, 2_103_807_459_000_000_000)
CATEGORY_ID_SPAN = 14_000_000_000
NEW_CATEGORY_ID_RATE = 0.15
USER_ID_LOW = 512_000_000
USER_ID_SPAN = 54_000_000
PRODUCT_BLOCK = 100_000  # product ids are `block * 100_000 + n`, one block per category
