"""The demo storefront's own words in the shop languages it plays (`?locale=`), as a theme's
locale files would carry them (`photo_hint`: before, link text, after). The widget brings its
own translations."""

WORDS = {
    "en": {
        "store": "Fitting Room demo store",
        "language": "Language",
        "cart": "Cart",
        "garments": "Demo garments",
        "colour": "Colour",
        "add": "Add to cart",
        "photo_hint": ("No photo at hand? Use the ", "demo photo", "."),
        "empty": "Your cart is empty.",
        "continue": "Continue shopping",
        "note": "Local development only: a stand-in for a Shopify product page with the real "
        "widget, talking to the development proxy, which signs requests as the demo shop.",
        "preview": "Try-ons here are a no-AI preview: the local engine pastes the product photo "
        "over yours. A hosted AI engine gives real try-ons (see the README).",
    },
    "fr": {
        "store": "Boutique de démonstration Fitting Room",
        "language": "Langue",
        "cart": "Panier",
        "garments": "Vêtements de démonstration",
        "colour": "Couleur",
        "add": "Ajouter au panier",
        "photo_hint": ("Pas de photo sous la main ? Utilisez la ", "photo de démonstration", "."),
        "empty": "Votre panier est vide.",
        "continue": "Continuer les achats",
        "note": "Développement local uniquement : une page produit Shopify simulée avec le vrai "
        "widget, qui passe par le proxy de développement signant les requêtes au nom de la "
        "boutique de démonstration.",
        "preview": "Ici, les essayages sont un aperçu sans IA : le moteur local colle la photo du "
        "produit sur la vôtre. Un moteur d'IA hébergé donne de vrais essayages (voir le README).",
    },
    "es": {
        "store": "Tienda de demostración Fitting Room",
        "language": "Idioma",
        "cart": "Carrito",
        "garments": "Prendas de demostración",
        "colour": "Color",
        "add": "Añadir al carrito",
        "photo_hint": ("¿No tienes una foto a mano? Usa la ", "foto de demostración", "."),
        "empty": "Tu carrito está vacío.",
        "continue": "Seguir comprando",
        "note": "Solo para desarrollo local: una página de producto de Shopify simulada con el "
        "widget real, que pasa por el proxy de desarrollo, que firma como la tienda de "
        "demostración.",
        "preview": "Aquí las pruebas son una vista previa sin IA: el motor local pega la foto del "
        "producto sobre la tuya. Un motor de IA alojado da pruebas reales (ver el README).",
    },
    "de": {
        "store": "Fitting Room Demo-Shop",
        "language": "Sprache",
        "cart": "Warenkorb",
        "garments": "Demo-Kleidungsstücke",
        "colour": "Farbe",
        "add": "In den Warenkorb",
        "photo_hint": ("Kein Foto zur Hand? Nimm das ", "Demo-Foto", "."),
        "empty": "Dein Warenkorb ist leer.",
        "continue": "Weiter einkaufen",
        "note": "Nur für die lokale Entwicklung: eine nachgebildete Shopify-Produktseite mit dem "
        "echten Widget, das über den Entwicklungs-Proxy läuft, der als Demo-Shop signiert.",
        "preview": "Anproben sind hier eine Vorschau ohne KI: die lokale Engine legt das "
        "Produktfoto über deins. Eine gehostete KI-Engine liefert echte Anproben (siehe README).",
    },
}

COLOURS = {
    "fr": {
        "White": "Blanc",
        "Navy": "Marine",
        "Red": "Rouge",
        "Black": "Noir",
        "Emerald": "Émeraude",
        "Denim": "Denim",
        "Olive": "Olive",
    },
    "es": {
        "White": "Blanco",
        "Navy": "Azul marino",
        "Red": "Rojo",
        "Black": "Negro",
        "Emerald": "Esmeralda",
        "Denim": "Vaquero",
        "Olive": "Oliva",
    },
    "de": {
        "White": "Weiß",
        "Navy": "Marineblau",
        "Red": "Rot",
        "Black": "Schwarz",
        "Emerald": "Smaragdgrün",
        "Denim": "Denim",
        "Olive": "Oliv",
    },
}

DESCRIPTIONS = {
    "fr": {
        "classic-crew-tee": "T-shirt doux en coton peigné, coupe décontractée.",
        "evening-dress": "Une robe simple sans manches, du jour au soir.",
        "field-jacket": "Une veste à manches longues et col pointu : boutonnée avec poches "
        "poitrine à rabat en denim, zippée en olive.",
    },
    "es": {
        "classic-crew-tee": "Camiseta suave de algodón peinado con un corte holgado.",
        "evening-dress": "Un vestido sencillo sin mangas que va del día a la noche.",
        "field-jacket": "Una chaqueta de manga larga con cuello de punta: con botones y "
        "bolsillos de solapa en vaquero, con cremallera en oliva.",
    },
    "de": {
        "classic-crew-tee": "Weiches T-Shirt aus gekämmter Baumwolle mit lockerer Passform.",
        "evening-dress": "Ein schlichtes ärmelloses Kleid für Tag und Abend.",
        "field-jacket": "Eine langärmelige Jacke mit spitzem Kragen: in Denim mit Knöpfen und "
        "Brusttaschen mit Patte, in Oliv mit Reißverschluss.",
    },
}


def words_for(locale: str) -> dict:
    return WORDS.get(locale, WORDS["en"])


def colour_name(title: str, locale: str) -> str:
    return COLOURS.get(locale, {}).get(title, title)


def description_for(handle: str, english: str, locale: str) -> str:
    return DESCRIPTIONS.get(locale, {}).get(handle, english)
