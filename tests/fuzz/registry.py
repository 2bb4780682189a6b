"""What every block template of the fuzzer shares: the registry of templates by
feature, and the Builder a template writes through (values in scope, fresh
names, random choices, and what a block adds beside its lines)."""

# feature -> list of block templates
BLOCKS = {}


def block(feature):
    def register(template):
        BLOCKS.setdefault(feature, []).append(template)
        return template
    return register


class Builder:
    """What a template sees: values in scope, fresh names, random choices."""

    def __init__(self, rng, index):
        self.rng = rng
        self.index = index          # block number: suffix of the names it defines
        self.scope = {'M': ['A'], 'R': ['r'], 'C': ['c'], 'S': ['s'], 'X': ['X'],
                      'W': ['W']}
        self.helpers = []           # source of helper functions
        self.globals = []           # source lines of module globals
        self.rebind = {}
        self.uses_containers = False
        self.extra_params = []      # (name, default source): parameters not passed
        self.pending = []           # (kind, name) defined by the block being built
        self.returns = 'float'      # a key of RETURNS
        self.by_keyword = False     # pass the last parameters by keyword
        self.closure = []           # (name, value): `program` is made by a factory over these
        self.trees = {}             # container parameter ('p', 'model', 'T') -> its kind
        self.dict_keys = ['W', 'b', 'h']   # the array keys `p` holds at this point
        self.methods = {}           # name -> source of a method of the class Model
        self.aliases = {}           # parameter -> the parameter it is passed the same value as

    # -- choices
    def coin(self, p=0.5):
        return self.rng.random() < p

    def choice(self, options):
        return options[self.rng.randrange(len(options))]

    def pick(self, kind):
        """A value of `kind` in scope, most often the newest one."""
        names = self.scope[kind]
        return names[-1] if self.coin(0.6) else self.choice(names)

    def new(self, kind, stem='v'):
        """A fresh name for a value of `kind` (in scope once the block is added)."""
        name = f'{stem}{self.index}'
        while name in self.taken():
            name += '_'
        self.pending.append((kind, name))
        return name

    def taken(self):
        """Every name in scope or about to be."""
        return [n for names in self.scope.values() for n in names] + \
            [n for _, n in self.pending]

    def name(self, stem):
        return f'{stem}{self.index}'

    def matmul(self, a, b):
        """`a @ b` in one of the four spellings people use."""
        return self.choice([f'np.dot({a}, {b})', f'{a} @ {b}', f'{a}.dot({b})',
                            f'np.matmul({a}, {b})'])

    def add(self, expr, coef=None):
        """The line adding `expr` (a float or an array) to acc."""
        coef = coef or self.choice(['0.1', '0.3', '0.5', '1.0'])
        return f'acc = acc + {coef} * np.sum({expr})'


def indent(lines, n=1):
    return ['    ' * n + line for line in lines]


