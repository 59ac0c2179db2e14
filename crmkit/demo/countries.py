"""What demo parties of each country look like: names, places, streets, company forms.

Hand-written lists of common names and real cities; the combinations are invented.
"""

from __future__ import annotations

from attrs import field, frozen


def _split(names: str) -> tuple[str, ...]:
    return tuple(names.split(", "))


@frozen
class City:
    """A city and how its postcodes start."""

    name: str
    postcode: str
    """A pattern: ``#`` is a random digit, ``@`` a random capital letter."""
    region: str | None = None


@frozen
class Country:
    """The material for generating parties of one country (ISO 3166 alpha-2 ``code``)."""

    code: str
    weight: int
    """How common the country is among the demo's parties."""
    first_names: tuple[str, ...] = field(converter=_split)
    last_names: tuple[str, ...] = field(converter=_split)
    streets: tuple[str, ...] = field(converter=_split)
    company_words: tuple[str, ...] = field(converter=_split)
    legal_forms: tuple[str, ...] = field(converter=_split)
    cities: tuple[City, ...] = ()


COUNTRIES: tuple[Country, ...] = (
    Country(
        code="DE",
        weight=26,
        first_names=(
            "Anna, Lena, Julia, Sabine, Katrin, Monika, Laura, Sophie, Petra, Claudia, Lukas, "
            "Jonas, Thomas, Michael, Stefan, Andreas, Jürgen, Markus, Felix, Tobias, Matthias, Uwe"
        ),
        last_names=(
            "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, "
            "Koch, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann, Braun, Krüger, "
            "Hartmann, Lange, Werner, Krause"
        ),
        streets=(
            "Hauptstraße, Bahnhofstraße, Gartenweg, Lindenallee, Schillerstraße, Goethestraße, "
            "Am Markt, Bergstraße, Kirchplatz, Mühlenweg"
        ),
        company_words=(
            "Nordlicht, Brandt, Rheintal, Albers, Seewind, Hansen, Eichenhof, Technik, Logistik, "
            "Maschinenbau, Elektro, Holzbau"
        ),
        legal_forms="GmbH, GmbH & Co. KG, AG, KG, e.K.",
        cities=(
            City("Berlin", "10###", "Berlin"),
            City("Hamburg", "20###", "Hamburg"),
            City("München", "80###", "Bayern"),
            City("Köln", "50###", "Nordrhein-Westfalen"),
            City("Frankfurt am Main", "60###", "Hessen"),
            City("Stuttgart", "70###", "Baden-Württemberg"),
            City("Leipzig", "04###", "Sachsen"),
            City("Bremen", "28###", "Bremen"),
            City("Nürnberg", "90###", "Bayern"),
            City("Hannover", "30###", "Niedersachsen"),
        ),
    ),
    Country(
        code="FR",
        weight=13,
        first_names=(
            "Camille, Léa, Chloé, Manon, Inès, Claire, Isabelle, Nathalie, Julien, Nicolas, "
            "Mathieu, Antoine, Pierre, Hugo, Louis, Étienne"
        ),
        last_names=(
            "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, "
            "Laurent, Lefèvre, Michel, Garnier, Faure"
        ),
        streets=(
            "rue de la République, avenue Victor Hugo, rue des Lilas, boulevard Voltaire, "
            "rue du Moulin, place de l'Église, rue Pasteur, chemin des Vignes"
        ),
        company_words=(
            "Atelier, Lumière, Provence, Delorme, Horizon, Vallée, Bertin, Industries, Conseil, "
            "Services"
        ),
        legal_forms="SAS, SARL, SA",
        cities=(
            City("Paris", "750##", "Île-de-France"),
            City("Lyon", "6900#", "Auvergne-Rhône-Alpes"),
            City("Marseille", "130##", "Provence-Alpes-Côte d'Azur"),
            City("Toulouse", "310##", "Occitanie"),
            City("Bordeaux", "330##", "Nouvelle-Aquitaine"),
            City("Lille", "590##", "Hauts-de-France"),
            City("Nantes", "440##", "Pays de la Loire"),
        ),
    ),
    Country(
        code="GB",
        weight=12,
        first_names=(
            "Olivia, Amelia, Emily, Charlotte, Grace, Sophie, Hannah, Lucy, Oliver, Harry, George, "
            "James, Jack, William, Thomas, Samuel"
        ),
        last_names=(
            "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Evans, Thomas, "
            "Roberts, Walker, Wright, Robinson, Hughes, Green"
        ),
        streets=(
            "High Street, Station Road, Church Lane, Victoria Road, Park Avenue, Mill Lane, "
            "Queen's Road, The Crescent, Green Lane"
        ),
        company_words=(
            "Thornbury, Ashford, Kingsley, Bridgewater, Oakwood, Harbour, Engineering, Trading, "
            "Supplies, Consulting"
        ),
        legal_forms="Ltd, plc, LLP",
        cities=(
            City("London", "EC# #@@", "England"),
            City("Manchester", "M# #@@", "England"),
            City("Birmingham", "B# #@@", "England"),
            City("Leeds", "LS# #@@", "England"),
            City("Bristol", "BS# #@@", "England"),
            City("Edinburgh", "EH# #@@", "Scotland"),
            City("Cardiff", "CF# #@@", "Wales"),
        ),
    ),
    Country(
        code="US",
        weight=12,
        first_names=(
            "Emma, Ava, Madison, Abigail, Elizabeth, Megan, Ashley, Jessica, Michael, Christopher, "
            "Daniel, Matthew, Joshua, Andrew, Ryan, Tyler"
        ),
        last_names=(
            "Johnson, Miller, Davis, Garcia, Rodriguez, Martinez, Anderson, Jackson, White, Harris, "
            "Clark, Lewis, Young, Allen, King, Scott"
        ),
        streets=(
            "Main Street, Oak Avenue, Maple Drive, Washington Street, Lake Road, Elm Street, "
            "Cedar Lane, Sunset Boulevard, Pine Street"
        ),
        company_words=(
            "Liberty, Summit, Pioneer, Great Lakes, Redwood, Frontier, Keystone, Systems, "
            "Solutions, Manufacturing, Logistics"
        ),
        legal_forms="Inc., LLC, Corp.",
        cities=(
            City("New York", "100##", "NY"),
            City("Chicago", "606##", "IL"),
            City("Boston", "021##", "MA"),
            City("Seattle", "981##", "WA"),
            City("Austin", "787##", "TX"),
            City("Denver", "802##", "CO"),
            City("Atlanta", "303##", "GA"),
        ),
    ),
    Country(
        code="IT",
        weight=10,
        first_names=(
            "Giulia, Francesca, Chiara, Sara, Martina, Valentina, Elena, Alessia, Marco, Luca, "
            "Giuseppe, Alessandro, Andrea, Matteo, Davide, Paolo"
        ),
        last_names=(
            "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, "
            "Bruno, Gallo, Conti, De Luca, Costa, Giordano"
        ),
        streets=(
            "Via Roma, Via Garibaldi, Corso Italia, Via Dante, Piazza della Libertà, Via Verdi, "
            "Via dei Mille, Viale Europa"
        ),
        company_words=(
            "Alpina, Ferri, Mediterranea, Sole, Toscana, Galli, Meccanica, Tessile, Costruzioni, "
            "Impianti"
        ),
        legal_forms="S.r.l., S.p.A., S.n.c.",
        cities=(
            City("Milano", "201##", "Lombardia"),
            City("Roma", "001##", "Lazio"),
            City("Torino", "101##", "Piemonte"),
            City("Bologna", "401##", "Emilia-Romagna"),
            City("Firenze", "501##", "Toscana"),
            City("Napoli", "801##", "Campania"),
        ),
    ),
    Country(
        code="ES",
        weight=10,
        first_names=(
            "Lucía, María, Paula, Carmen, Laura, Marta, Elena, Sofía, Javier, Carlos, Alejandro, "
            "Pablo, David, Sergio, Miguel, Jorge"
        ),
        last_names=(
            "García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, "
            "Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Álvarez"
        ),
        streets=(
            "Calle Mayor, Calle del Sol, Avenida de la Constitución, Calle Real, "
            "Paseo de la Castellana, Calle San Juan, Plaza de España, Calle Nueva"
        ),
        company_words=(
            "Ibérica, Levante, Solana, Vidal, Atlántico, Cantábrico, Suministros, Distribuciones, "
            "Ingeniería, Montajes"
        ),
        legal_forms="S.L., S.A.",
        cities=(
            City("Madrid", "280##", "Comunidad de Madrid"),
            City("Barcelona", "080##", "Cataluña"),
            City("Valencia", "460##", "Comunidad Valenciana"),
            City("Sevilla", "410##", "Andalucía"),
            City("Bilbao", "480##", "País Vasco"),
            City("Zaragoza", "500##", "Aragón"),
        ),
    ),
    Country(
        code="NL",
        weight=8,
        first_names=(
            "Emma, Sanne, Lotte, Fleur, Anouk, Femke, Eva, Iris, Daan, Sem, Bram, Lars, Thijs, "
            "Ruben, Jeroen, Pieter"
        ),
        last_names=(
            "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Visser, Smit, Meijer, "
            "de Boer, Mulder, de Groot, Bos, Vos, Peters"
        ),
        streets=(
            "Dorpsstraat, Kerkstraat, Stationsweg, Molenweg, Schoolstraat, Nieuwe Gracht, "
            "Prinsengracht, Julianalaan"
        ),
        company_words="Polder, Van Leeuwen, Noordzee, Delta, Tulp, Hollands, Techniek, Installaties, Handel",
        legal_forms="B.V., N.V.",
        cities=(
            City("Amsterdam", "10## @@", "Noord-Holland"),
            City("Rotterdam", "30## @@", "Zuid-Holland"),
            City("Utrecht", "35## @@", "Utrecht"),
            City("Eindhoven", "56## @@", "Noord-Brabant"),
            City("Groningen", "97## @@", "Groningen"),
        ),
    ),
    Country(
        code="AT",
        weight=5,
        first_names=(
            "Anna, Katharina, Theresa, Magdalena, Johanna, Verena, Florian, Lukas, Maximilian, "
            "Stefan, Georg, Christoph"
        ),
        last_names=(
            "Gruber, Huber, Bauer, Wagner, Pichler, Steiner, Moser, Mayer, Hofer, Leitner, Berger, "
            "Fuchs"
        ),
        streets="Hauptplatz, Bahnhofstraße, Kirchengasse, Ringstraße, Mariahilfer Straße",
        company_words="Alpen, Donau, Steirer, Tauern, Holztechnik, Handel",
        legal_forms="GmbH, AG, KG",
        cities=(
            City("Wien", "1###", "Wien"),
            City("Graz", "80##", "Steiermark"),
            City("Linz", "40##", "Oberösterreich"),
            City("Salzburg", "50##", "Salzburg"),
            City("Innsbruck", "60##", "Tirol"),
        ),
    ),
    Country(
        code="CH",
        weight=4,
        first_names="Mia, Laura, Nina, Sarah, Céline, Martina, Noah, Luca, Reto, Urs, Beat, Simon",
        last_names=(
            "Meier, Keller, Brunner, Baumann, Frei, Gerber, Widmer, Graf, Zürcher, Kaufmann, Suter, "
            "Sutter"
        ),
        streets="Bahnhofstrasse, Dorfstrasse, Seestrasse, Kirchweg, Marktgasse",
        company_words="Helvetia, Alpstein, Rigi, Aare, Präzision, Uhrenwerk",
        legal_forms="AG, GmbH",
        cities=(
            City("Zürich", "80##", "ZH"),
            City("Bern", "30##", "BE"),
            City("Basel", "40##", "BS"),
            City("Luzern", "60##", "LU"),
            City("St. Gallen", "90##", "SG"),
        ),
    ),
)
