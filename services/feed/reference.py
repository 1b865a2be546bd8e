"""Reference data for generated manifests: ports on real lanes, carriers, names, goods.

Kept apart from the generator so the generator reads as what it does. Everything here is real
in kind (UN/LOCODEs, carriers' SCAC and ISO 6346 owner codes, HS codes, MMSI country digits,
call-sign prefixes) but the names of firms, people and vessels are invented combinations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    locode: str
    city: str
    utc_offset: str  # the feed reports local time with its offset, as real feeds do

    @property
    def country(self) -> str:
        return self.locode[:2]


_PORTS = (
    ("COBUN", "Buenaventura", "-05:00"), ("COCTG", "Cartagena", "-05:00"), ("COSMR", "Santa Marta", "-05:00"),
    ("COBAQ", "Barranquilla", "-05:00"), ("COTRB", "Turbo", "-05:00"),
    ("MXZLO", "Manzanillo", "-06:00"), ("MXLZC", "Lazaro Cardenas", "-06:00"), ("MXVER", "Veracruz", "-06:00"),
    ("MXATM", "Altamira", "-06:00"),
    ("PABLB", "Balboa", "-05:00"), ("PAONX", "Colon", "-05:00"), ("PAMIT", "Manzanillo", "-05:00"),
    ("ECGYE", "Guayaquil", "-05:00"), ("ECPSJ", "Posorja", "-05:00"),
    ("BRSSZ", "Santos", "-03:00"), ("BRPNG", "Paranagua", "-03:00"), ("BRITJ", "Itajai", "-03:00"),
    ("USHOU", "Houston", "-06:00"), ("USMIA", "Miami", "-05:00"), ("USPEF", "Port Everglades", "-05:00"),
    ("USLGB", "Long Beach", "-08:00"), ("USSAV", "Savannah", "-05:00"), ("USPHL", "Philadelphia", "-05:00"),
    ("CLSAI", "San Antonio", "-03:00"), ("CLVAP", "Valparaiso", "-03:00"),
    ("CRLIO", "Limon", "-06:00"), ("CRCAL", "Caldera", "-06:00"),
    ("GTSTC", "Santo Tomas de Castilla", "-06:00"), ("GTPRQ", "Puerto Quetzal", "-06:00"),
    ("HNPCR", "Puerto Cortes", "-06:00"),
    ("JMKIN", "Kingston", "-05:00"), ("DOCAU", "Caucedo", "-04:00"), ("NLRTM", "Rotterdam", "+01:00"),
    ("BEANR", "Antwerp", "+01:00"), ("ESALG", "Algeciras", "+01:00"), ("PECLL", "Callao", "-05:00"),
)
PORTS: dict[str, Port] = {locode: Port(locode, city, offset) for locode, city, offset in _PORTS}

#: Inland places of origin and destination, by country (a bill of lading's through-route ends).
INLAND: dict[str, tuple[str, ...]] = {
    "CO": ("COBOG", "COMDE", "COCLO"), "MX": ("MXMEX", "MXGDL", "MXMTY"), "US": ("USDAL", "USATL", "USCHI"),
    "GT": ("GTGUA",), "HN": ("HNSAP",), "CR": ("CRSJO",), "EC": ("ECUIO",), "BR": ("BRSAO",), "CL": ("CLSCL",),
}


@dataclass(frozen=True)
class Lane:
    """A regular service: where goods are loaded, may be transshipped and are discharged."""

    loading: str
    discharge: str
    via: tuple[str, ...] = ()  # transshipment hubs a voyage on this lane may call at
    weight: int = 1


LANES: tuple[Lane, ...] = (
    Lane("COBUN", "MXZLO", weight=4), Lane("COCTG", "USHOU", ("PAONX", "PAMIT"), 4), Lane("COCTG", "USMIA", weight=3),
    Lane("COSMR", "USPEF", weight=2), Lane("COTRB", "BEANR", ("JMKIN",), 2), Lane("COBUN", "USLGB", ("PABLB",), 2),
    Lane("COBAQ", "USHOU", weight=1), Lane("ECGYE", "CLSAI", weight=3), Lane("ECGYE", "USPEF", ("PABLB",), 3),
    Lane("ECGYE", "NLRTM", ("PAONX",), 2), Lane("ECPSJ", "USLGB", weight=2), Lane("MXZLO", "COBUN", weight=2),
    Lane("MXLZC", "CLSAI", weight=2), Lane("MXVER", "COCTG", weight=1), Lane("BRSSZ", "MXVER", weight=3),
    Lane("BRSSZ", "USHOU", weight=2), Lane("BRPNG", "ESALG", weight=2), Lane("BRITJ", "COCTG", ("PAMIT",), 1),
    Lane("CLSAI", "MXZLO", weight=3), Lane("CLSAI", "USLGB", weight=2), Lane("CLVAP", "USPHL", ("PABLB",), 2),
    Lane("CLSAI", "COBUN", weight=1), Lane("CRLIO", "USMIA", weight=3), Lane("CRLIO", "USPEF", weight=2),
    Lane("CRLIO", "NLRTM", weight=1), Lane("CRCAL", "USLGB", weight=1), Lane("GTSTC", "USMIA", weight=3),
    Lane("GTSTC", "USHOU", weight=2), Lane("GTPRQ", "USLGB", weight=1), Lane("HNPCR", "USMIA", weight=3),
    Lane("HNPCR", "USPEF", weight=2), Lane("HNPCR", "USHOU", ("DOCAU",), 1), Lane("PECLL", "USPEF", ("PABLB",), 1),
    Lane("USHOU", "COCTG", weight=2), Lane("USMIA", "GTSTC", weight=2), Lane("USMIA", "HNPCR", weight=2),
    Lane("USSAV", "COCTG", ("PAMIT",), 1), Lane("PAMIT", "USMIA", weight=2), Lane("PABLB", "ECGYE", weight=1),
)

#: Who reports a manifest loaded at a port: the port authority or the customs service.
FEEDS: dict[str, tuple[str, ...]] = {
    "CO": ("customs-dian-co", "port-{city}-co"), "MX": ("port-{city}-mx", "customs-anam-mx"),
    "PA": ("customs-ana-pa", "port-{city}-pa"), "EC": ("port-{city}-ec", "customs-senae-ec"),
    "BR": ("port-{city}-br", "customs-rfb-br"), "US": ("cbp-ace-us", "port-{city}-us"),
    "CL": ("port-{city}-cl", "customs-sna-cl"), "CR": ("customs-dga-cr",), "GT": ("customs-sat-gt",),
    "HN": ("port-{city}-hn",), "PE": ("customs-sunat-pe",),
}
VESSEL_FEEDS = ("ais-caribbean", "ais-pacific-south", "dimar-co", "amp-pa", "semar-mx", "uscg-nvmc-us")


@dataclass(frozen=True)
class Carrier:
    scac: str  # bill-of-lading prefix
    owner_codes: tuple[str, ...]  # ISO 6346 owner code and category letter (U)
    vessel_prefix: str
    flags: tuple[str, ...]


CARRIERS: tuple[Carrier, ...] = (
    Carrier("MEDU", ("MSCU", "MEDU", "TGHU"), "MSC", ("PA", "LR", "PT")),
    Carrier("MAEU", ("MAEU", "MRKU", "MSKU"), "MAERSK", ("DK", "SG", "HK")),
    Carrier("HLCU", ("HLXU", "HLBU", "TCNU"), "CAP SAN", ("LR", "DE", "MT")),
    Carrier("CMDU", ("CMAU", "CGMU", "TRHU"), "CMA CGM", ("MT", "LR", "SG")),
    Carrier("ONEY", ("ONEU", "TCLU"), "ONE", ("PA", "SG")),
    Carrier("EGLV", ("EGHU", "EMCU"), "EVER", ("PA", "SG")),
    Carrier("ZIMU", ("ZIMU", "ZCSU"), "ZIM", ("LR", "MH")),
    Carrier("SMLU", ("SMLU", "SEGU"), "SEABOARD", ("LR", "PA")),
    Carrier("CHIQ", ("CRLU", "GESU"), "COSTA", ("LR", "MH", "BS")),
)
VESSEL_WORDS = (
    "ALINA AMELIA AURORA BEATRIZ CARMEN CLARA ELENA GIOVANNA ISABEL LORENA MARTA NOELIA PAOLA ROSARIO SOFIA "
    "VALENTINA LORENZO NICOLAS MATEO ANDRES ANTONIO MARCO TOMAS AUGUSTIN CRISTOBAL ORION PERSEO VEGA SIRIUS "
    "ALTAIR POLARIS CORDOBA SELETAR EMDEN KALMAR AARHUS HAMBURG BREMEN GENOA SAVONA NAPOLI ODESSA LISBOA "
    "TAURUS GEMINI AQUILA CENTAURO MERIDIAN HORIZON FORTUNE HARMONY PIONEER LIBERTY SPIRIT TRIUMPH"
).split()
VESSEL_SUFFIXES = ("", "", "", " II", " III", " EXPRESS", " BRIDGE", " TRADER")
VESSEL_TYPES = ("container ship", "container ship", "reefer", "general cargo", "bulk carrier", "ro-ro cargo")
SHIP_MANAGERS = ("Pacific Basin Ship Management", "Columbia Shipmanagement", "Anglo-Eastern Ship Management",
                 "Bernhard Schulte Shipmanagement", "Wilhelmsen Ship Management", "Fleet Management Ltd",
                 "V.Ships Norway", "Thome Ship Management", "OSM Maritime", "Synergy Marine")

#: Maritime Identification Digits (the first three of an MMSI) and call-sign prefixes, by flag.
MMSI_DIGITS: dict[str, tuple[str, ...]] = {
    "PA": ("351", "352", "353", "354", "355", "356", "357", "370", "371", "372", "373"), "LR": ("636",),
    "MH": ("538",), "MT": ("215", "229", "248", "249", "256"), "SG": ("563", "564", "565", "566"), "HK": ("477",),
    "PT": ("255",), "DE": ("211", "218"), "DK": ("219", "220"), "BS": ("308", "309", "311"), "CO": ("730",),
    "MX": ("345",), "EC": ("735",), "CL": ("725",), "BR": ("710",), "US": ("338", "366", "367", "368", "369"),
    "GT": ("332",), "HN": ("334",), "CR": ("321",), "VE": ("775",),
}
CALL_SIGN_PREFIXES: dict[str, tuple[str, ...]] = {
    "PA": ("3E", "3F", "H3", "H9", "HP"), "LR": ("A8", "D5", "EL"), "MH": ("V7",), "MT": ("9H",),
    "SG": ("9V", "S6"), "HK": ("VR",), "PT": ("CQ",), "DE": ("DC", "DD"), "DK": ("OU", "OZ"), "BS": ("C6",),
    "CO": ("HK", "5K"), "MX": ("XC", "4B"), "EC": ("HC",), "CL": ("CB", "3G"), "BR": ("PP", "PS"),
    "US": ("WD", "KC"), "GT": ("TG",), "HN": ("HQ",), "CR": ("TI",), "VE": ("YV",),
}

#: Goods by the country they are loaded in: HS code, description, (min, max) gross kg per container.
Goods = tuple[str, str, tuple[int, int]]
GOODS: dict[str, tuple[Goods, ...]] = {
    "CO": (("0803.90", "Fresh bananas, Cavendish, 18.14 kg boxes", (19000, 22000)),
           ("0901.11", "Green coffee, not roasted, excelso, in jute bags", (18000, 21000)),
           ("0603.19", "Fresh cut flowers, alstroemeria and carnations", (4000, 9000)),
           ("1511.10", "Crude palm oil in flexitank", (20000, 24000)),
           ("3904.10", "PVC resin, suspension grade", (22000, 25000))),
    "EC": (("0803.90", "Fresh bananas, 20 kg boxes", (19000, 22000)),
           ("0306.17", "Frozen shrimp, head-on, IQF", (16000, 19000)),
           ("1801.00", "Cocoa beans, whole, raw, Arriba Nacional", (17000, 21000)),
           ("1604.14", "Canned tuna in vegetable oil", (18000, 22000))),
    "MX": (("0804.40", "Fresh avocados, Hass", (18000, 21000)), ("8708.99", "Automotive parts, brake assemblies",
           (8000, 16000)), ("2208.90", "Tequila, 100% agave, bottled", (12000, 18000)),
           ("0702.00", "Fresh tomatoes, roma", (17000, 20000))),
    "BR": (("1201.90", "Soybeans, in bulk bags", (24000, 26000)), ("1701.14", "Raw cane sugar, VHP", (24000, 26000)),
           ("0901.11", "Green coffee, arabica, in big bags", (19000, 21500)),
           ("4703.21", "Bleached eucalyptus kraft pulp", (22000, 25000))),
    "CL": (("0806.10", "Fresh table grapes", (16000, 19000)), ("7403.11", "Copper cathodes, grade A", (24000, 26000)),
           ("2204.21", "Red wine in bottles, 750 ml", (14000, 20000)),
           ("0304.81", "Frozen Atlantic salmon fillets", (17000, 20000))),
    "CR": (("0804.30", "Fresh pineapples, MD2 golden", (19000, 22000)), ("0803.90", "Fresh bananas", (19000, 22000)),
           ("9018.39", "Medical devices, catheters", (3000, 8000))),
    "GT": (("0901.11", "Green coffee, strictly hard bean", (18000, 21000)),
           ("0803.90", "Fresh bananas", (19000, 22000)), ("1701.14", "Raw cane sugar", (24000, 26000))),
    "HN": (("6109.10", "Cotton T-shirts, knitted", (6000, 12000)), ("0901.11", "Green coffee, washed", (18000, 21000)),
           ("1511.10", "Crude palm oil", (20000, 24000))),
    "PA": (("8471.30", "Laptop computers", (5000, 9000)), ("3004.90", "Medicaments, packaged for retail",
           (4000, 9000)), ("6403.99", "Footwear, leather uppers", (6000, 11000))),
    "PE": (("0806.10", "Fresh table grapes", (16000, 19000)), ("0709.20", "Fresh asparagus", (12000, 16000))),
    "US": (("3901.20", "Polyethylene, high density, pellets", (22000, 25000)),
           ("8429.52", "Hydraulic excavator, used", (18000, 24000)),
           ("1005.90", "Yellow corn, in bags", (24000, 26000)),
           ("5201.00", "Raw cotton, not carded", (20000, 23000)), ("8471.50", "Server processing units", (4000, 8000))),
}
SIZE_TYPES = ("22G1", "42G1", "45G1", "45G1", "45R1", "45R1", "L5G1")

# -- names ---------------------------------------------------------------------------------------
# Only given names and surnames that are common in the region; the generator checks every name it
# builds against the watchlist (planting.ListedVocabulary), so commonness never makes a false hit.

LATIN_GIVEN_MEN = (
    "Juan José Luis Carlos Jorge Miguel Pedro Antonio Francisco Manuel Javier Rafael Fernando Alejandro Ricardo "
    "Eduardo Roberto Sergio Andrés Diego Pablo Daniel Raúl Óscar Héctor Mario Alberto Camilo Santiago Sebastián "
    "Mauricio Esteban Gustavo Iván Rodrigo Hernán Wilson Yeison Brayan Cristian"
).split()
LATIN_GIVEN_WOMEN = (
    "María Ana Laura Gabriela Patricia Rosa Carmen Elena Sofía Isabel Lucía Verónica Adriana Mónica Claudia "
    "Sandra Diana Paula Natalia Carolina Valentina Daniela Marcela Lorena Yolanda Beatriz Gloria Luz Marisol "
    "Ximena Fernanda Guadalupe"
).split()
LATIN_SURNAMES = (
    "García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores Rivera Gómez Díaz "
    "Reyes Morales Cruz Ortiz Gutiérrez Chávez Ramos Ruiz Mendoza Álvarez Castillo Jiménez Moreno Romero "
    "Herrera Medina Aguilar Vargas Castro Guzmán Fernández Salazar Soto Delgado Vega Contreras Rojas Guerrero "
    "Estrada Navarro Silva Cortés Muñoz Sandoval Cárdenas Osorio Valencia Restrepo Zapata Quintero Ocampo "
    "Betancourt Arango Giraldo Mejía Cabrera Acosta Benítez Pineda Carrillo Figueroa Bermúdez Lozano Peña "
    "Ibarra Duarte Fuentes Espinoza Paredes Villalobos Zambrano Cedeño Mosquera Palacios Caicedo Bonilla "
    "Andrade Barrios Solís Orellana Zelaya Chinchilla Montero Araya Quesada Villegas Oliveira Souza Santos"
).split()
US_GIVEN = (
    "James Robert Michael William David Richard Thomas Charles Christopher Daniel Matthew Anthony Mark Steven "
    "Kevin Brian George Edward Jason Ryan Mary Linda Susan Karen Nancy Betty Helen Sarah Emily Jennifer Jessica "
    "Amanda Ashley Megan Rachel Laura Rebecca"
).split()
US_SURNAMES = (
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Jackson Martin Thompson "
    "White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green Baker Adams Nelson Hill "
    "Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins Edwards Stewart Morris Murphy Cook"
).split()

#: Company names: an activity word, then a distinctive part, then the country's legal form.
LATIN_ACTIVITIES = (
    "Comercializadora Exportadora Importadora Distribuidora Agroindustrial Agrícola Bananera Cafetera Camaronera "
    "Frutícola Alimentos Logística Transportes Industrias Textiles Química Plásticos Maderas Florícola Acuícola "
    "Frigorífico Empaques Insumos Suministros Servicios Portuarios"
).split()
LATIN_DISTINCTIVE = (
    "del Valle|Andina|del Pacífico|del Caribe|Santa Fe|San Jorge|El Roble|La Esperanza|Los Andes|Sierra Nevada|"
    "Río Grande|Tres Ríos|Monteverde|Altamira|Bella Vista|Buenavista|Costa Azul|El Porvenir|La Fortuna|"
    "Las Palmas|Los Pinos|Mar Azul|Nueva Granada|Puerto Nuevo|San Isidro|Santa Lucía|Tierra Firme|Valle Verde|"
    "Villa Rica|Cordillera|Pacífico Sur|Altiplano|Guayacán|Ceibal|Orquídea|Cafetal|Cacique|Ébano|Cóndor|Quetzal"
).split("|")
US_ACTIVITIES = (
    "Produce Importers|Foods|Trading|Logistics|Fresh|Distributors|Supply|Customs Brokers|Freight Services|"
    "Marine Services|Imports|Commodities|Packaging|Chemicals|Equipment"
).split("|")
US_DISTINCTIVE = (
    "Gulf Coast|Sunshine|Bay Area|Lone Star|Coastal|Evergreen|Summit|Harbor|Blue Ridge|Golden Gate|Keystone|"
    "Magnolia|Palmetto|Prairie|Redwood|Silver Lake|Tri-County|Twin Rivers|Westfield|Northgate|Seaside|Pinecrest"
).split("|")
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "CO": ("S.A.S.", "S.A.S.", "S.A.", "Ltda."), "MX": ("S.A. de C.V.", "S. de R.L. de C.V."),
    "PA": ("S.A.", "Inc."), "EC": ("S.A.", "Cía. Ltda."), "BR": ("Ltda.", "S.A."), "CL": ("SpA", "S.A.", "Ltda."),
    "CR": ("S.A.", "S.R.L."), "GT": ("S.A.",), "HN": ("S.A. de C.V.", "S. de R.L."), "PE": ("S.A.C.", "E.I.R.L."),
    "US": ("LLC", "Inc.", "Corp.", "LLC"),
}
#: Customs brokers who appear as notify party at the port of discharge.
BROKER_WORDS: dict[str, str] = {
    "MX": "Agencia Aduanal", "CO": "Agencia de Aduanas", "US": "Customs Brokers", "PA": "Corredores de Aduana",
    "CL": "Agencia de Aduanas", "BR": "Despachos Aduaneiros", "EC": "Agente de Aduana",
}
STREETS = ("Calle {n} No. {m}-{k}", "Carrera {n} No. {m}-{k}", "Av. Industrial {n}", "Blvd. del Puerto {n}",
           "Zona Franca Bodega {n}", "Km {n} Vía al Puerto")
EUROPEAN_STREETS = ("Waalhaven Z.z. {n}", "Europaweg {n}", "Noorderlaan {n}", "Havenstraat {n}")
EUROPEAN_DISTINCTIVE = "Maas|Schelde|Noordzee|Delta|Holland|Flanders|Benelux|Rijnmond|Zeeland|Kempen".split("|")
US_STREETS = ("{n} Port Blvd, Suite {k}", "{n} NW 25th Street", "{n} Commerce Park Dr", "{n} Harbor Way")
CREW_RANKS = ("Master", "Chief Officer", "Second Officer", "Third Officer", "Chief Engineer", "Second Engineer",
              "Bosun", "Able Seaman", "Able Seaman", "Oiler", "Cook")

#: Where a company of each country has its offices.
CITIES: dict[str, tuple[str, ...]] = {
    "CO": ("Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena", "Buenaventura", "Santa Marta"),
    "MX": ("Ciudad de México", "Guadalajara", "Monterrey", "Manzanillo", "Tijuana", "Veracruz"),
    "US": ("Miami", "Doral", "Houston", "Los Angeles", "Elizabeth", "Savannah", "Philadelphia"),
    "PA": ("Panamá", "Colón", "Balboa"), "EC": ("Guayaquil", "Quito", "Machala"),
    "BR": ("São Paulo", "Santos", "Curitiba", "Itajaí"), "CL": ("Santiago", "San Antonio", "Valparaíso"),
    "CR": ("San José", "Limón", "Heredia"), "GT": ("Guatemala", "Escuintla", "Puerto Barrios"),
    "HN": ("San Pedro Sula", "Tegucigalpa", "Puerto Cortés"), "PE": ("Lima", "Callao"),
    "NL": ("Rotterdam", "Barendrecht"), "BE": ("Antwerpen",), "ES": ("Algeciras", "Madrid"), "JM": ("Kingston",),
    "DO": ("Santo Domingo",),
}
#: Legal forms of the European and Caribbean importers at the far end of some lanes.
LEGAL_FORMS.update({"NL": ("B.V.",), "BE": ("NV", "BV"), "ES": ("S.L.", "S.A."), "JM": ("Ltd.",), "DO": ("S.R.L.",)})
#: Crews of the region's ships, by nationality (names are drawn from the Latin American lists).
CREW_NATIONALITIES = ("CO", "CO", "PA", "HN", "MX", "EC", "PE", "GT", "CR", "PH", "PH", "VE")
